// Benchmark: control-plane scale — entry point of one simulator process (forked by SimFleet in control-sim.ts).
import { runSimChild } from './control-sim.js';

runSimChild();
