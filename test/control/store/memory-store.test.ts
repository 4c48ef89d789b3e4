// Test: the in-memory ConfigStore against the shared contract.
import { createMemoryStore } from '../../../src/control/store/memory-store.js';
import { configStoreContract } from './contract.js';

configStoreContract('memory', async (now) => createMemoryStore({ now }));
