// libxml2 for Swift.
//
// Debian builds libxml2 with ICU support, so <libxml/encoding.h> includes <unicode/ucnv.h>.
// Those ICU 72 headers clash with the ICU copy inside Foundation on Linux (same C enums,
// different members), which breaks any Swift module that imports both. We never touch the
// ICU-dependent members of xmlCharEncodingHandler (only pointers to it), so the include is
// switched off here.
#ifndef WORDPIPE_CLIBXML2_SHIM_H
#define WORDPIPE_CLIBXML2_SHIM_H
#include <libxml/xmlversion.h>
#undef LIBXML_ICU_ENABLED
#include <libxml/xmlreader.h>
#include <libxml/HTMLparser.h>
#include <libxml/xmlerror.h>

/// xmlFree is a global function-pointer variable, which Swift 6 rejects as not
/// concurrency-safe; this wrapper is a plain function.
static inline void wp_xml_free(void *pointer) { xmlFree(pointer); }
#endif
