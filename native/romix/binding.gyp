{
  "targets": [
    {
      "target_name": "romix",
      "sources": ["romix.c"],
      "defines": ["NAPI_VERSION=8"],
      "cflags": ["-O3", "-Wall", "-Wextra"]
    }
  ]
}
