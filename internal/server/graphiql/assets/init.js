// Shuangsuiji GraphiQL bootstrap. This file is ours (not vendored): it is
// served from /graphiql/init.js so that the page needs no inline script and
// its Content-Security-Policy can keep script-src 'self'.
//
// Everything the page varies on comes from data-* attributes of #graphiql,
// which the Go handler fills in:
//   data-endpoint         URL the fetcher POSTs GraphQL requests to
//   data-default-headers  JSON text shown in the headers pane
//   data-default-query    what the editor opens with instead of the welcome text
//   data-style-nonce      CSP nonce for <style> tags that UI libraries inject
(function () {
  'use strict';

  var container = document.getElementById('graphiql');
  var endpoint = container.getAttribute('data-endpoint');
  var defaultHeaders = container.getAttribute('data-default-headers') || '';
  var defaultQuery = container.getAttribute('data-default-query') || '';
  var styleNonce = container.getAttribute('data-style-nonce');
  if (styleNonce) {
    // get-nonce (used by react-remove-scroll in GraphiQL's dialogs) reads this
    // global and puts it on the <style> element it creates.
    window.__webpack_nonce__ = styleNonce;
  }

  // The example headers are shown to be edited; an untouched placeholder
  // token ("Bearer <token>") is not sent, so the schema still loads before
  // the user has pasted a real token.
  function isPlaceholder(value) {
    return typeof value === 'string' && value.indexOf('<token>') !== -1;
  }

  var httpFetcher = GraphiQL.createFetcher({ url: endpoint });

  function fetcher(params, opts) {
    var headers = {};
    var given = (opts && opts.headers) || {};
    Object.keys(given).forEach(function (name) {
      if (!isPlaceholder(given[name])) {
        headers[name] = given[name];
      }
    });
    return httpFetcher(params, Object.assign({}, opts, { headers: headers }));
  }

  ReactDOM.createRoot(container).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultHeaders: defaultHeaders,
      // Shown when the user has no query of their own stored yet.
      defaultQuery: defaultQuery,
      isHeadersEditorEnabled: true,
      // Tokens typed into the headers pane stay in memory only.
      shouldPersistHeaders: false,
      // Open the headers pane so the example is visible on first load.
      defaultEditorToolsVisibility: 'headers',
    }),
  );
})();
