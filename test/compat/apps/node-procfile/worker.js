// A background worker: logs a tick every few seconds until it is stopped.
console.log('node-procfile worker started');
setInterval(() => console.log('node-procfile worker tick'), 5000);
