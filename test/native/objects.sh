# Sourced by the native test scripts (bash, from the repository root): build_objects OUT FLAGS...
# compiles every source of native/sources.json but the addon glue (the list CMakeLists.txt and
# binding.gyp read, so new kernels are picked up here too), each x86-64 tier with its own flags,
# into OUT, and sets the arrays `objs` (all) and `act_objs` (the activation kernels only).
build_objects() {
  local out=$1
  shift
  local units unit src tier_flags obj
  mapfile -t units < <(node -e '
    const s = require("./native/sources.json");
    for (const f of s.common) if (f !== "native/addon.cc") console.log(f + "\t");
    for (const t of ["avx2", "avx512"]) for (const f of s[t]) console.log(f + "\t" + s.flags[t].join(" "));
  ')
  objs=()
  act_objs=()
  for unit in "${units[@]}"; do
    src=${unit%%$'\t'*}
    tier_flags=${unit#*$'\t'}
    obj="$out/$(basename "${src%.cc}").o"
    # shellcheck disable=SC2086 # tier flags are words
    "${CXX:-g++}" "$@" $tier_flags -c "$src" -o "$obj" || return 1
    objs+=("$obj")
    case "$(basename "$src")" in act_*) act_objs+=("$obj") ;; esac
  done
}
