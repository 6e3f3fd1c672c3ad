/* LSM labels in the spec (process.apparmorProfile, process.selinuxLabel,
 * linux.mountLabel). */
#pragma once

#include "carrel/spec.h"

/* On a host where that LSM is not enabled a label is ignored with a debug
 * line, as runc and crun do; where it is enabled carrel cannot apply it yet,
 * and refuses it naming the field. */
int lsm_labels_check(const struct spec *s, struct carrel_error *err);
