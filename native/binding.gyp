{
  "targets": [
    {
      "target_name": "lifeboat_native",
      "sources": ["syscalls.c"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"]
    }
  ]
}
