// graphql-codegen schema loader: the API schema of the checked-in supergraph — what the gateway serves to
// clients (the join/link machinery and anything @inaccessible removed) — so a dashboard document is checked
// against exactly what the gateway answers.
const { readFileSync } = require('node:fs');
const { Supergraph } = require('@apollo/federation-internals');

module.exports = function loadApiSchema(pointer) {
  return Supergraph.build(readFileSync(pointer, 'utf8')).apiSchema().toGraphQLJSSchema();
};
