# node-gyp build for machines without CMake: the same sources and the same per-tier flags as
# CMakeLists.txt. Each ISA tier is its own static library because gyp sets flags per target.
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
      "sources": [
        "native/addon.cc",
        "native/dispatch.cc",
        "native/kernels/act/act_params.cc",
        "native/kernels/act/act_scalar.cc",
        "native/kernels/gemm/gemm_driver.cc"
      ],
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
      "sources": ["native/kernels/act/act_avx2.cc"],
      "cflags_cc": ["<@(common_cflags)", "-fPIC", "-mavx2", "-mfma"]
    },
    {
      "target_name": "smelu_avx512",
      "type": "static_library",
      "sources": ["native/kernels/act/act_avx512.cc"],
      "cflags_cc": ["<@(common_cflags)", "-fPIC", "-mavx512f", "-mavx512dq", "-mavx512bw", "-mavx512vl", "-mavx2", "-mfma"]
    }
    ] }],
    ["target_arch=='arm64'", { "targets": [
    {
      "target_name": "smelu_neon",
      "type": "static_library",
      "sources": ["native/kernels/act/act_neon.cc"],
      "cflags_cc": ["<@(common_cflags)", "-fPIC"]
    }
    ] }]
  ]
}
