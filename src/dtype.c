/* dtype.c — element types and exact conversions to float32 / float64. */
#include "gp_internal.h"

#include <string.h>

const char *gp_dtype_name(gp_dtype t) {
    switch (t) {
    case GP_DTYPE_F32:  return "float32";
    case GP_DTYPE_F64:  return "float64";
    case GP_DTYPE_F16:  return "float16";
    case GP_DTYPE_BF16: return "bfloat16";
    case GP_DTYPE_I64:  return "int64";
    case GP_DTYPE_I32:  return "int32";
    case GP_DTYPE_BOOL: return "bool";
    case GP_DTYPE_U8:   return "uint8";
    case GP_DTYPE_I8:   return "int8";
    case GP_DTYPE_I16:  return "int16";
    case GP_DTYPE_U16:  return "uint16";
    case GP_DTYPE_U32:  return "uint32";
    case GP_DTYPE_U64:  return "uint64";
    case GP_DTYPE_ANY:  return "any";
    }
    return "unknown";
}

size_t gp_dtype_size(gp_dtype t) {
    switch (t) {
    case GP_DTYPE_F64: case GP_DTYPE_I64: case GP_DTYPE_U64: return 8;
    case GP_DTYPE_F32: case GP_DTYPE_I32: case GP_DTYPE_U32: return 4;
    case GP_DTYPE_F16: case GP_DTYPE_BF16: case GP_DTYPE_I16: case GP_DTYPE_U16: return 2;
    case GP_DTYPE_BOOL: case GP_DTYPE_U8: case GP_DTYPE_I8: return 1;
    case GP_DTYPE_ANY: return 0;
    }
    return 0;
}

bool gp__dtype_is_valid(gp_dtype t) { return gp_dtype_size(t) != 0; }

bool gp__dtype_is_float(gp_dtype t) {
    return t == GP_DTYPE_F32 || t == GP_DTYPE_F64 || t == GP_DTYPE_F16 || t == GP_DTYPE_BF16;
}

/* IEEE binary16 -> binary32. Every half value is exactly representable, so
 * this is exact, subnormals, infinities and NaN payloads included. */
float gp__f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1fu;
    uint32_t man = h & 0x3ffu;
    uint32_t bits;
    if (exp == 0x1f) {                  /* Inf / NaN */
        bits = sign | 0x7f800000u | (man << 13);
    } else if (exp != 0) {              /* normal: rebias 15 -> 127 */
        bits = sign | ((exp + 112u) << 23) | (man << 13);
    } else if (man == 0) {              /* signed zero */
        bits = sign;
    } else {                            /* subnormal: normalize */
        int e = -1;
        do { man <<= 1; e++; } while (!(man & 0x400u));
        bits = sign | ((uint32_t)(112 - e) << 23) | ((man & 0x3ffu) << 13);
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

float gp__bf16_to_f32(uint16_t b) {
    uint32_t bits = (uint32_t)b << 16;
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

static void load_swapped(const unsigned char *p, size_t size, bool big_endian,
                         unsigned char *out) {
    if (!big_endian) {
        memcpy(out, p, size);
    } else {
        for (size_t i = 0; i < size; i++) out[i] = p[size - 1 - i];
    }
}

/* Read element i of src as a double (exact for every supported type but
 * 64-bit integers beyond 2^53). */
static double element_f64(gp_dtype t, const unsigned char *src, bool be, size_t i) {
    unsigned char b[8];
    size_t size = gp_dtype_size(t);
    load_swapped(src + i * size, size, be, b);
    switch (t) {
    case GP_DTYPE_F32:  { float v; memcpy(&v, b, 4); return v; }
    case GP_DTYPE_F64:  { double v; memcpy(&v, b, 8); return v; }
    case GP_DTYPE_F16:  { uint16_t v; memcpy(&v, b, 2); return gp__f16_to_f32(v); }
    case GP_DTYPE_BF16: { uint16_t v; memcpy(&v, b, 2); return gp__bf16_to_f32(v); }
    case GP_DTYPE_I64:  { int64_t v; memcpy(&v, b, 8); return (double)v; }
    case GP_DTYPE_I32:  { int32_t v; memcpy(&v, b, 4); return v; }
    case GP_DTYPE_I16:  { int16_t v; memcpy(&v, b, 2); return v; }
    case GP_DTYPE_I8:   { int8_t v; memcpy(&v, b, 1); return v; }
    case GP_DTYPE_U64:  { uint64_t v; memcpy(&v, b, 8); return (double)v; }
    case GP_DTYPE_U32:  { uint32_t v; memcpy(&v, b, 4); return v; }
    case GP_DTYPE_U16:  { uint16_t v; memcpy(&v, b, 2); return v; }
    case GP_DTYPE_U8:   return b[0];
    case GP_DTYPE_BOOL: return b[0] != 0;
    case GP_DTYPE_ANY:  return 0;
    }
    return 0;
}

void gp__convert_to_f32(gp_dtype t, const void *src, bool be, size_t count, float *dst) {
    const unsigned char *s = src;
    if (t == GP_DTYPE_F32 && !be) {
        memcpy(dst, s, count * 4);
    } else if (t == GP_DTYPE_F16 && !be) {
        for (size_t i = 0; i < count; i++) {
            uint16_t h;
            memcpy(&h, s + 2 * i, 2);
            dst[i] = gp__f16_to_f32(h);
        }
    } else if (t == GP_DTYPE_BF16 && !be) {
        for (size_t i = 0; i < count; i++) {
            uint16_t h;
            memcpy(&h, s + 2 * i, 2);
            dst[i] = gp__bf16_to_f32(h);
        }
    } else {
        /* float64 -> float32 rounds to nearest, as numpy's astype does. */
        for (size_t i = 0; i < count; i++) dst[i] = (float)element_f64(t, s, be, i);
    }
}

void gp__convert_to_f64(gp_dtype t, const void *src, bool be, size_t count, double *dst) {
    const unsigned char *s = src;
    if (t == GP_DTYPE_F64 && !be) {
        memcpy(dst, s, count * 8);
    } else {
        for (size_t i = 0; i < count; i++) dst[i] = element_f64(t, s, be, i);
    }
}

void gp__copy_native(gp_dtype t, const void *src, bool be, size_t count, void *dst) {
    size_t size = gp_dtype_size(t);
    if (!be || size == 1) {
        memcpy(dst, src, count * size);
        return;
    }
    const unsigned char *s = src;
    unsigned char *d = dst;
    for (size_t i = 0; i < count; i++) load_swapped(s + i * size, size, true, d + i * size);
}
