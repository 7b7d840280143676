/* SPDX-License-Identifier: GPL-2.0 */
#define static_assert(e, m) _Static_assert(e, m)
