{
  "targets": [
    {
      "target_name": "sendfile",
      "sources": ["sendfile.c"],
      "defines": ["NAPI_VERSION=8"],
      "cflags": ["-O2", "-Wall", "-Wextra"]
    }
  ]
}
