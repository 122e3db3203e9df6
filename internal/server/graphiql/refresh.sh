#!/usr/bin/env bash
# refresh.sh re-vendors the GraphiQL page's third-party assets from the npm
# registry into ./assets. Run it by hand from any directory:
#
#   bash internal/server/graphiql/refresh.sh
#   GRAPHIQL_VERSION=3.9.0 REACT_VERSION=18.3.1 bash internal/server/graphiql/refresh.sh
#
# It is never run by `go build`, `go generate` or the tests. Needs: npm, tar,
# sha256sum. After running it, update the versions in assets/README.md and
# in graphiql.go (the Versions constants), then run the package tests.
set -euo pipefail

GRAPHIQL_VERSION="${GRAPHIQL_VERSION:-3.9.0}"
REACT_VERSION="${REACT_VERSION:-18.3.1}"

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
assets="$here/assets"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cd "$work"
# npm pack downloads the published tarball and checks it against the
# registry's integrity hash.
npm pack --silent "graphiql@${GRAPHIQL_VERSION}" "react@${REACT_VERSION}" "react-dom@${REACT_VERSION}" >/dev/null
unpack() { mkdir -p "$1" && tar -xzf "$1-$2.tgz" -C "$1" --strip-components=1; }
unpack graphiql  "$GRAPHIQL_VERSION"
unpack react     "$REACT_VERSION"
unpack react-dom "$REACT_VERSION"

cp graphiql/graphiql.min.js                   "$assets/graphiql.min.js"
cp graphiql/graphiql.min.css                  "$assets/graphiql.min.css"
cp graphiql/LICENSE                           "$assets/LICENSE.graphiql.txt"
cp react/umd/react.production.min.js          "$assets/react.production.min.js"
cp react/LICENSE                              "$assets/LICENSE.react.txt"
cp react-dom/umd/react-dom.production.min.js  "$assets/react-dom.production.min.js"
cp react-dom/LICENSE                          "$assets/LICENSE.react-dom.txt"

# Files are copied byte for byte (graphiql.min.js keeps its trailing
# sourceMappingURL comment; the .map is not vendored, so only an open DevTools
# would ask for it and get a 404). SHA256SUMS lets a reviewer compare them with
# the files inside the npm tarballs; the tests check the files still match it.
cd "$assets"
sha256sum graphiql.min.js graphiql.min.css react.production.min.js react-dom.production.min.js \
  LICENSE.graphiql.txt LICENSE.react.txt LICENSE.react-dom.txt > SHA256SUMS
echo "vendored graphiql@${GRAPHIQL_VERSION}, react@${REACT_VERSION}, react-dom@${REACT_VERSION} into $assets"
cat SHA256SUMS
