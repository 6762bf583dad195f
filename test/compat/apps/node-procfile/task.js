// A one-off task (`run APP node task.js [code]`): prints what it would do and exits with the code it is given.
const code = Number(process.argv[2] || 0);
console.log(`node-procfile task ran with exit code ${code}`);
process.exitCode = code;
