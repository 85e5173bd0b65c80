#!/usr/bin/env bash
# Re-create static/vendor/ from the npm registry (no CDN, no node_modules in the repo).
#
#   scripts/vendor-static.sh            # the pinned versions below
#   BOOTSTRAP_VERSION=5.3.8 CHARTJS_VERSION=4.6.1 JSQR_VERSION=1.4.0 scripts/vendor-static.sh
#
# Each package is fetched with `npm pack` into a temporary directory, its tarball's
# integrity is checked against the pin below (skipped when a version is overridden),
# and only the files the site serves are copied, with their source maps and licences.
# whitenoise's CompressedManifestStaticFilesStorage fails in collectstatic on a
# `sourceMappingURL` pointing at a missing file, so a minified file whose map the
# package does not ship has that comment stripped.
set -euo pipefail

BOOTSTRAP_VERSION="${BOOTSTRAP_VERSION:-5.3.8}"
CHARTJS_VERSION="${CHARTJS_VERSION:-4.6.1}"
JSQR_VERSION="${JSQR_VERSION:-1.4.0}"

# `npm pack --json` integrity of the pinned tarballs.
BOOTSTRAP_INTEGRITY_5_3_8="sha512-HP1SZDqaLDPwsNiqRqi5NcP0SSXciX2s9E+RyqJIIqGo+vJeN5AJVM98CXmW/Wux0nQ5L7jeWUdplCEf0Ee+tg=="
CHARTJS_INTEGRITY_4_6_1="sha512-hJyniucsFmq//EvXYvJ6c6mahPoI3kaxdjVH8awTaJ/fDNWeSqqqArixMJWkWNN6fcYvPU3HneSANFNYtRi61g=="
JSQR_INTEGRITY_1_4_0="sha512-dxLob7q65Xg2DvstYkRpkYtmKm2sPJ9oFhrhmudT1dZvNFFTlroai3AWSpLey/w5vMcLBXRgOJsbXpdN9HzU/A=="

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="$ROOT/static/vendor"

command -v npm >/dev/null || { echo "npm is required (apt-get install npm, or Node.js)" >&2; exit 1; }

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

# pack NAME VERSION EXPECTED_INTEGRITY -> unpacks into $TMP/NAME/package
pack() {
  local name="$1" version="$2" expected="$3" tgz integrity
  mkdir -p "$TMP/$name"
  (cd "$TMP/$name" && npm pack --silent --json "$name@$version" >pack.json)
  tgz="$(cd "$TMP/$name" && python3 -c 'import json;print(json.load(open("pack.json"))[0]["filename"])')"
  integrity="$(cd "$TMP/$name" && python3 -c 'import json;print(json.load(open("pack.json"))[0]["integrity"])')"
  if [[ -n "$expected" && "$integrity" != "$expected" ]]; then
    echo "integrity mismatch for $name@$version:" >&2
    echo "  expected $expected" >&2
    echo "  got      $integrity" >&2
    exit 1
  fi
  tar -xzf "$TMP/$name/$tgz" -C "$TMP/$name"
  echo "$name@$version  $integrity"
}

# put SRC DEST_FILE: copy a file; for .js/.css also its .map if shipped, else strip the comment
put() {
  local src="$1" dst="$2"
  mkdir -p "$(dirname "$dst")"
  cp "$src" "$dst"
  case "$dst" in
    *.js|*.css)
      if [[ -f "$src.map" ]]; then
        cp "$src.map" "$dst.map"
      else
        sed -i -E '/^[[:space:]]*(\/\/|\/\*)[#@] sourceMappingURL=.*$/d' "$dst"
        echo "  (no source map shipped for $(basename "$src"): sourceMappingURL stripped)"
      fi
      ;;
  esac
}

expected_bs=""; [[ "$BOOTSTRAP_VERSION" == "5.3.8" ]] && expected_bs="$BOOTSTRAP_INTEGRITY_5_3_8"
expected_cj=""; [[ "$CHARTJS_VERSION" == "4.6.1" ]] && expected_cj="$CHARTJS_INTEGRITY_4_6_1"
expected_qr=""; [[ "$JSQR_VERSION" == "1.4.0" ]] && expected_qr="$JSQR_INTEGRITY_1_4_0"

pack bootstrap "$BOOTSTRAP_VERSION" "$expected_bs"
pack chart.js "$CHARTJS_VERSION" "$expected_cj"
pack jsqr "$JSQR_VERSION" "$expected_qr"

BS="$TMP/bootstrap/package"
CJ="$TMP/chart.js/package"
QR="$TMP/jsqr/package"

rm -rf "$DEST/bootstrap" "$DEST/chartjs" "$DEST/jsqr"
put "$BS/dist/css/bootstrap.min.css"      "$DEST/bootstrap/css/bootstrap.min.css"
put "$BS/dist/js/bootstrap.bundle.min.js" "$DEST/bootstrap/js/bootstrap.bundle.min.js"
cp "$BS/LICENSE" "$DEST/bootstrap/LICENSE"

put "$CJ/dist/chart.umd.min.js" "$DEST/chartjs/chart.umd.min.js"
if [[ -f "$CJ/LICENSE.md" ]]; then cp "$CJ/LICENSE.md" "$DEST/chartjs/LICENSE"; else cp "$CJ/LICENSE" "$DEST/chartjs/LICENSE"; fi

# jsQR's UMD build (global `jsQR`), the check-in desk's camera decoder.
put "$QR/dist/jsQR.js" "$DEST/jsqr/jsQR.js"
cp "$QR/LICENSE" "$DEST/jsqr/LICENSE"

# Any remaining reference to a map that is not there would break collectstatic.
missing=0
while IFS= read -r f; do
  ref="$(grep -oE 'sourceMappingURL=[^ *]+' "$f" | tail -1 | cut -d= -f2)"
  if [[ -n "$ref" && ! -f "$(dirname "$f")/$ref" ]]; then
    echo "missing source map $ref referenced by $f" >&2; missing=1
  fi
done < <(find "$DEST" -type f \( -name '*.js' -o -name '*.css' \))
[[ "$missing" == 0 ]]

echo "Vendored into ${DEST#"$ROOT"/}:"
(cd "$ROOT" && find static/vendor -type f ! -name README.md | sort)
