/*
 * A small AML encoder (ACPI spec, "ACPI Machine Language (AML)
 * Specification"), just enough for encore's DSDT: package lengths, name
 * strings, integers, Name, Scope, Device, Package, Buffer, EisaId and the
 * resource descriptors of a PCI root bridge's _CRS.
 *
 * Output goes into a caller's fixed buffer.  Anything that does not fit,
 * and any invalid name, sets `failed` and is dropped: callers check once
 * at the end instead of after every call.  Integers assume a definition
 * block of revision 2 or later (64-bit integers).
 */
#ifndef ENCORE_ACPI_AML_H
#define ENCORE_ACPI_AML_H

#include "encore/types.h"

struct aml {
	u8 *buf;
	size_t len, cap;
	bool failed;
};

#define AML_PKGLENGTH_MAX 0x0fffffffu /* the largest value four bytes hold */

void aml__init(struct aml *a, u8 *buf, size_t cap);

/* The PkgLength encoding of `value` (the length it describes counts its
 * own bytes): 1 to 4 bytes into out, 0 if value > AML_PKGLENGTH_MAX. */
unsigned aml__pkglength_value(u8 out[4], u32 value);
/* The PkgLength that precedes `body` bytes: the shortest encoding whose
 * value, body plus its own size, it can hold; 0 if none can. */
unsigned aml__pkglength(u8 out[4], size_t body);

/* Raw bytes (opcodes, resource descriptors). */
void aml__byte(struct aml *a, u8 b);
void aml__bytes(struct aml *a, const void *p, size_t n);

/* An integer with the shortest encoding: ZeroOp, OneOp, OnesOp (all ones)
 * or a Byte/Word/DWord/QWord prefix. */
void aml__integer(struct aml *a, u64 v);
/* A NameString: "\\" and "^" prefixes, then dot-separated segments of 1-4
 * characters (A-Z, 0-9 after the first, _), each padded with '_'. */
void aml__name_string(struct aml *a, const char *path);
/* EISA ID "ABC1234" compressed to the integer _HID takes (EisaId()). */
void aml__eisaid(struct aml *a, const char *id);

/*
 * Objects with a body: *_begin writes the opcode, returns a mark, and the
 * body follows; aml__end(mark) inserts the PkgLength in front of the body.
 */
size_t aml__scope_begin(struct aml *a, const char *name);
size_t aml__device_begin(struct aml *a, const char *name);
size_t aml__package_begin(struct aml *a, u8 nelements);
void aml__end(struct aml *a, size_t mark);

/* Name(name, ...): the object follows. */
void aml__name(struct aml *a, const char *name);
/* Buffer(n) { bytes }. */
void aml__buffer(struct aml *a, const u8 *bytes, size_t n);

/* ---- resource descriptors (ACPI spec, "Resource Data Types for ACPI") ---- */

/* WordBusNumber(ResourceProducer, MinFixed, MaxFixed, PosDecode, 0, min, max, 0, len). */
void aml__res_word_bus(struct aml *a, u16 min, u16 max);
/* IO(Decode16, min, min, 1, len). */
void aml__res_io(struct aml *a, u16 min, u8 len);
/* WordIO(ResourceProducer, MinFixed, MaxFixed, PosDecode, EntireRange, 0, min, max, 0, len). */
void aml__res_word_io(struct aml *a, u16 min, u16 max);
/* DWordMemory(ResourceProducer, PosDecode, MinFixed, MaxFixed, Cacheable or
 * NonCacheable, ReadWrite, 0, min, max, 0, len). */
void aml__res_dword_memory(struct aml *a, bool cacheable, u32 min, u32 max);
/* The end tag (checksum 0: "treated as correct"). */
void aml__res_end(struct aml *a);

#endif
