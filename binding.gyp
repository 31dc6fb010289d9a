# node-gyp build for machines without CMake: the same sources and per-tier flags as CMakeLists.txt,
# both read from native/sources.json. Each ISA tier is its own static library because gyp sets
# compiler flags per target.
{
  "variables": {
    "common_cflags": ["-O3", "-ffp-contract=off", "-fno-math-errno", "-fvisibility=hidden", "-std=c++17", "-fexceptions"]
  },
  "target_defaults": {
    "cflags_cc!": ["-fno-exceptions", "-std=gnu++17", "-std=gnu++1y", "-std=gnu++14"],
    "cflags!": ["-fno-exceptions"],
    "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")", "native"],
    "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED"]
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
        "cflags_cc": ["<@(common_cflags)", "-fPIC", "<!@(node -p \"require('./native/sources.json').flags.avx2.join(' ')\")"]
      },
      {
        "target_name": "smelu_avx512",
        "type": "static_library",
        "sources": ["<!@(node -p \"require('./native/sources.json').avx512.join(' ')\")"],
        "cflags_cc": ["<@(common_cflags)", "-fPIC", "<!@(node -p \"require('./native/sources.json').flags.avx512.join(' ')\")"]
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
