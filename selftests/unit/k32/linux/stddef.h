/* SPDX-License-Identifier: GPL-2.0 */
#define NULL ((void *)0)
