// `npm start`: the demo. Until the sync server and the lane agent exist, say so plainly.
console.error(
  'checkpoint-lane: the demo (sync server + lane) is not built yet. ' +
    'See the open issues; `npm test` runs what exists.',
);
process.exit(1);
