import preset from '../../jest.preset.js';

// Baileys leaves internal timers behind after sock.end(); don't let them hold the run open
export default { ...preset, forceExit: true };
