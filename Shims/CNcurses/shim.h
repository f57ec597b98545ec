// ncurses for Swift. Swift 6 cannot touch mutable C globals (stdscr, LINES,
// COLS) and does not import function-like macros (COLOR_PAIR, getmaxyx), so
// each one becomes a static inline function here. Nothing else in the
// project includes curses.
#ifndef PORTDASH_CNCURSES_SHIM_H
#define PORTDASH_CNCURSES_SHIM_H

#define NCURSES_WIDECHAR 1
#ifndef _XOPEN_SOURCE_EXTENDED
#define _XOPEN_SOURCE_EXTENDED 1
#endif
#include <ncursesw/curses.h>
#include <ncursesw/term.h>

/// Whether curses can draw on terminal type `term`: 0 yes, 1 the type is
/// unknown to terminfo, 2 it has no cursor addressing (cup). Checked before
/// initscr(), which would otherwise draw garbage on a dumb terminal.
static inline int pd_term_can_draw(const char *term) {
    int err = 0;
    if (setupterm((char *)term, 1, &err) != OK) return 1;
    char *cup = tigetstr("cup");
    int result = (cup == NULL || cup == (char *)-1) ? 2 : 0;
    del_curterm(cur_term);
    return result;
}

static inline WINDOW *pd_stdscr(void) { return stdscr; }
static inline int pd_lines(void) { return LINES; }
static inline int pd_cols(void) { return COLS; }
static inline int pd_color_pair(int n) { return (int)COLOR_PAIR(n); }
static inline int pd_a_bold(void) { return (int)A_BOLD; }
static inline int pd_a_reverse(void) { return (int)A_REVERSE; }
static inline int pd_a_dim(void) { return (int)A_DIM; }
static inline int pd_a_underline(void) { return (int)A_UNDERLINE; }
static inline int pd_a_normal(void) { return (int)A_NORMAL; }
static inline int pd_err(void) { return ERR; }
static inline int pd_key_code_yes(void) { return KEY_CODE_YES; }
static inline int pd_key_f(int n) { return KEY_F(n); }
static inline int pd_key_resize(void) { return KEY_RESIZE; }
static inline int pd_key_mouse(void) { return KEY_MOUSE; }
static inline int pd_key_up(void) { return KEY_UP; }
static inline int pd_key_down(void) { return KEY_DOWN; }
static inline int pd_key_left(void) { return KEY_LEFT; }
static inline int pd_key_right(void) { return KEY_RIGHT; }
static inline int pd_key_ppage(void) { return KEY_PPAGE; }
static inline int pd_key_npage(void) { return KEY_NPAGE; }
static inline int pd_key_home(void) { return KEY_HOME; }
static inline int pd_key_end(void) { return KEY_END; }
static inline int pd_key_enter(void) { return KEY_ENTER; }
static inline int pd_key_backspace(void) { return KEY_BACKSPACE; }
static inline int pd_key_dc(void) { return KEY_DC; }

/// Enables clicks and the wheel (no motion reports).
static inline void pd_enable_mouse(void) {
    mousemask(BUTTON1_CLICKED | BUTTON1_PRESSED | BUTTON4_PRESSED | BUTTON5_PRESSED, NULL);
    mouseinterval(0);
}

/// Reads the pending mouse event: 1 and the cell for a button-1 press or
/// click, 2 for the wheel up, 3 for the wheel down, 0 for anything else.
static inline int pd_mouse_click(int *y, int *x) {
    MEVENT ev;
    if (getmouse(&ev) != OK) return 0;
    if (ev.bstate & (BUTTON1_CLICKED | BUTTON1_PRESSED)) { *y = ev.y; *x = ev.x; return 1; }
    if (ev.bstate & BUTTON4_PRESSED) return 2;
#ifdef BUTTON5_PRESSED
    if (ev.bstate & BUTTON5_PRESSED) return 3;
#endif
    return 0;
}

/// Draws at most n bytes of a UTF-8 string at (y, x) with the given attributes.
static inline void pd_put(int y, int x, const char *s, int n, int attrs) {
    attr_t old; short pair;
    attr_get(&old, &pair, NULL);
    attrset((attr_t)attrs);
    mvaddnstr(y, x, s, n);
    attrset(old);
}

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/// Bracketed paste (xterm mode 2004) on or off: the terminal then wraps
/// pasted text in ESC[200~ ... ESC[201~, so a paste can be told from keys.
/// Written with write(2), not through curses: it must also work from the
/// crash handler below, where only async-signal-safe calls are allowed.
static inline void pd_bracketed_paste(int on) {
    static const char enable[] = "\033[?2004h", disable[] = "\033[?2004l";
    ssize_t n = on ? write(STDOUT_FILENO, enable, sizeof enable - 1) : write(STDOUT_FILENO, disable, sizeof disable - 1);
    (void)n;
}

/// Leave the terminal as we found it on exit() and on a crash: endwin() and
/// bracketed paste off run from atexit, and from a handler for the fatal
/// signals (a Swift trap is SIGILL or SIGTRAP), which then re-raises the
/// signal with its default action.
static void pd_endwin_atexit(void) { if (!isendwin()) { endwin(); pd_bracketed_paste(0); } }
static void pd_crash_handler(int sig) {
    if (!isendwin()) { endwin(); pd_bracketed_paste(0); }
    signal(sig, SIG_DFL);
    raise(sig);
}
static inline void pd_install_terminal_guards(void) {
    atexit(pd_endwin_atexit);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = pd_crash_handler;
    sa.sa_flags = SA_RESETHAND;
    int fatal[] = {SIGILL, SIGTRAP, SIGSEGV, SIGBUS, SIGABRT, SIGFPE};
    for (unsigned i = 0; i < sizeof fatal / sizeof fatal[0]; i++) sigaction(fatal[i], &sa, NULL);
}

#endif
