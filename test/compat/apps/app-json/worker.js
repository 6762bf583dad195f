// The worker app.json's formation asks one of.
console.log('app-json worker started');
setInterval(() => console.log('app-json worker tick'), 5000);
