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

// --- TriageTUI additions: attribute and colour macros that do not import, and one-call cell drawing. ---
static inline attr_t nt_a_normal(void) { return A_NORMAL; }
static inline attr_t nt_a_bold(void) { return A_BOLD; }
static inline attr_t nt_a_dim(void) { return A_DIM; }
static inline attr_t nt_a_reverse(void) { return A_REVERSE; }
static inline attr_t nt_a_underline(void) { return A_UNDERLINE; }
static inline int nt_colors(void) { return COLORS; }
static inline int nt_color_pairs(void) { return COLOR_PAIRS; }
// Draws one cell (a grapheme of up to CCHARW_MAX - 1 wide characters) with attributes and a colour pair.
static inline int nt_put_cell(int y, int x, const wchar_t *text, attr_t attributes, short pair) {
  cchar_t cell;
  if (setcchar(&cell, text, attributes, pair, NULL) == ERR) return ERR;
  return mvwadd_wch(stdscr, y, x, &cell);
}
// Reads one key or character from the standard screen (wget_wch).
static inline int nt_get_key(wint_t *key) { return wget_wch(stdscr, key); }
#endif
