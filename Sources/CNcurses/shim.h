#ifndef NETTRIAGE_CNCURSES_SHIM_H
#define NETTRIAGE_CNCURSES_SHIM_H
// SwiftPM drops pkg-config's -D flags: wide-character functions import only with this defined here.
#define NCURSES_WIDECHAR 1
#ifndef _XOPEN_SOURCE_EXTENDED
#define _XOPEN_SOURCE_EXTENDED 1
#endif
#include <locale.h>
#include <ncurses.h>

// Swift 6 rejects global mutable C variables and cannot import the ACS_* macros: accessors instead.
static inline WINDOW *nt_stdscr(void) { return stdscr; }
static inline int nt_lines(void) { return LINES; }
static inline int nt_cols(void) { return COLS; }
static inline chtype nt_acs_hline(void) { return ACS_HLINE; }
static inline chtype nt_acs_vline(void) { return ACS_VLINE; }
static inline chtype nt_acs_ulcorner(void) { return ACS_ULCORNER; }
static inline chtype nt_acs_urcorner(void) { return ACS_URCORNER; }
static inline chtype nt_acs_llcorner(void) { return ACS_LLCORNER; }
static inline chtype nt_acs_lrcorner(void) { return ACS_LRCORNER; }
static inline const char *nt_curses_version(void) { return curses_version(); }
#endif
