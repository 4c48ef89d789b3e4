// Upstream LB: the 64-bit string hash ring hash and Maglev place hosts with (injectable for tests).
export type HashFn = (data: string, seed?: bigint) => bigint;
