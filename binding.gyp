# node-gyp build for machines without CMake: the same sources and per-tier flags as CMakeLists.txt,
# both read from native/sources.json. Each ISA tier is its own static library because gyp sets
# compiler flags per target. Nothing is built with -march=native: dispatch picks the tier at run
# time. -ffp-contract=off keeps every tier rounding the same way (see CMakeLists.txt).
# On macOS gyp ignores cflags_cc and reads xcode_settings instead, so the flags are given there too
# (exceptions on: node-addon-api reports errors as C++ exceptions, NAPI_CPP_EXCEPTIONS); gyp appends
# a target's list to the defaults' list.
{
  "variables": {
    "common_cflags": ["-O3", "-ffp-contract=off", "-fno-math-errno", "-fvisibility=hidden", "-std=c++17", "-fexceptions"]
  },
  "target_defaults": {
    "cflags_cc!": ["-fno-exceptions", "-std=gnu++17", "-std=gnu++1y", "-std=gnu++14"],
    "cflags!": ["-fno-exceptions"],
    "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")", "native"],
    "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"],
    "xcode_settings": {
      "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
      "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
      "GCC_SYMBOLS_PRIVATE_EXTERN": "YES",
      "GCC_OPTIMIZATION_LEVEL": "3",
      "MACOSX_DEPLOYMENT_TARGET": "10.15",
      "OTHER_CPLUSPLUSFLAGS": ["-ffp-contract=off", "-fno-math-errno"]
    }
  },
  "targets": [
    {
      "target_name": "smelu",
      "sources": ["<!@(node -p \"require('./native/sources.json').common.join(' ')\")"],
      "cflags_cc": ["<@(common_cflags)"],
      "ldflags": ["-pthread"],
      "conditions": [
        ["target_arch=='x64'", { "dependencies": ["smelu_avx2", "smelu_avx512"] }],
        ["target_arch=='arm64'", { "dependencies": ["smelu_neon"] }]
      ]
    }
  ],
  "conditions": [
    ["target_arch=='x64'", { "targets": [
      {
        "target_name": "smelu_avx2",
        "type": "static_library",
        "sources": ["<!@(node -p \"require('./native/sources.json').avx2.join(' ')\")"],
        "cflags_cc": ["<@(common_cflags)", "-fPIC", "<!@(node -p \"require('./native/sources.json').flags.avx2.join(' ')\")"],
        "xcode_settings": {
          "OTHER_CPLUSPLUSFLAGS": ["<!@(node -p \"require('./native/sources.json').flags.avx2.join(' ')\")"]
        }
      },
      {
        "target_name": "smelu_avx512",
        "type": "static_library",
        "sources": ["<!@(node -p \"require('./native/sources.json').avx512.join(' ')\")"],
        "cflags_cc": ["<@(common_cflags)", "-fPIC", "<!@(node -p \"require('./native/sources.json').flags.avx512.join(' ')\")"],
        "xcode_settings": {
          "OTHER_CPLUSPLUSFLAGS": ["<!@(node -p \"require('./native/sources.json').flags.avx512.join(' ')\")"]
        }
      }
    ] }],
    ["target_arch=='arm64'", { "targets": [
      {
        "target_name": "smelu_neon",
        "type": "static_library",
        "sources": ["<!@(node -p \"require('./native/sources.json').neon.join(' ')\")"],
        "cflags_cc": ["<@(common_cflags)", "-fPIC"]
      }
    ] }]
  ]
}
