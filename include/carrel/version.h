#pragma once

#define CARREL_OCI_VERSION "1.2.0"

/* Filled in by meson from `git describe` (see meson.build). */
extern const char carrel_version[];
extern const char carrel_commit[];
