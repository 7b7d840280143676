/* SPDX-License-Identifier: GPL-2.0 */
/* Minimal stand-ins for a 32-bit, freestanding build of fsm.c. */
#ifndef _K32_TYPES_H
#define _K32_TYPES_H
typedef __UINT8_TYPE__ u8;
typedef __UINT16_TYPE__ u16;
typedef __UINT32_TYPE__ u32;
typedef __UINT64_TYPE__ u64;
typedef __INT32_TYPE__ s32;
typedef __SIZE_TYPE__ size_t;
typedef _Bool bool;
#define true 1
#define false 0
#endif
