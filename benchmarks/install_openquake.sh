#!/usr/bin/env bash
# Install OpenQuake engine 3.26.2 into its own virtual environment OUTSIDE the repository,
# for side-by-side benchmarks only (never a dependency of toolkit).
# Recipe from shared/reference/openquake/NOTES.md: a plain `pip install openquake.engine`
# fails on its gdal pin, so install the wheel with --no-deps plus its other requirements.
set -euo pipefail
VENV="${1:-$(cd "$(dirname "$0")/../.." && pwd)/oq-venv}"
PY="${PYTHON:-python3}"
if [ ! -x "$VENV/bin/python" ]; then
    "$PY" -m venv "$VENV"
fi
"$VENV/bin/pip" install --quiet --no-deps "openquake.engine==3.26.2"
# pandas < 3: with pandas 3 (copy-on-write, read-only arrays) OpenQuake 3.26.2's numba
# build_slice_by_event fails on GMF jobs of many tasks (TypeError: readonly array(uint32))
"$VENV/bin/pip" install --quiet "numpy>=2.2.6" scipy "pandas>=2.2.3,<3" "h5py>=3.13" "django>=4.2,<5" \
    psutil requests "pyzmq~=26.0.3" "h3>=4.4" "decorator~=5.1.1" "pillow~=12.2.0" "toml~=0.10.2" \
    "numba~=0.61.2" "alpha_shapes~=1.1.0" "docutils~=0.19.0" "django_cors_headers~=4.3.1" \
    "pyproj~=3.7.2" "geopandas~=1.1.4" "fiona~=1.10.1"
# first import compiles numba caches (~80 s); do it once here, not inside a timing
"$VENV/bin/python" -c "import openquake.commonlib.readinput, openquake.calculators.classical" \
    >/dev/null 2>&1 || true
echo "OpenQuake installed in $VENV"
