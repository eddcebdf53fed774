export { oncePerTurn } from './once-per-turn.js';
export { KeyedTurnBatch, type Waiter } from './keyed-turn-batch.js';
