// libjpeg-turbo's TurboJPEG API (Debian's libturbojpeg0-dev): the JPEG decoder PIL uses, so stills decode to the
// same pixels torchvision's users get. Macros wrapped for Swift here and nowhere else.
#ifndef MRCNN_CTURBOJPEG_SHIM_H
#define MRCNN_CTURBOJPEG_SHIM_H
#include <turbojpeg.h>

/// Flags matching libjpeg's defaults as PIL leaves them: accurate integer IDCT, fancy (smooth) upsampling.
static inline int mrcnn_tj_pil_flags(void) { return TJFLAG_ACCURATEDCT; }
#endif
