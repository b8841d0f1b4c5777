// A Gatehouse node function (runtime: process). http mode: `handle(request)` may be async and
// returns a string, a Buffer, an object (JSON) or {status, headers, body}.
exports.handle = async (request) => {
  console.log(`node got ${request.method} ${request.path}`); // goes to the run's logs
  return { hello: 'from node', method: request.method, length: request.body.length };
};
