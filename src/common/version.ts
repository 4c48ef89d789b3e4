// Shared: the Trellis release, reported by `trellis --version` and the proxy's /server_info.
export const VERSION = '0.1.0';
