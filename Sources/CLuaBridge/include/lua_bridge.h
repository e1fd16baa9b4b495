#ifndef DISCERN_LUA_BRIDGE_H
#define DISCERN_LUA_BRIDGE_H
/*
 * The C half of LuaKit: everything that may longjmp lives here, never in Swift.
 * - Swift functions are called through dlua_trampoline, which raises the error value a Swift
 *   callback left on the stack (lua_error) only after the Swift frame has returned.
 * - The count hook enforces interrupts (Ctrl-C) and instruction budgets from C.
 */
#include <signal.h>
#include <stdint.h>
#include <lua5.4/lua.h>

/* A Swift callback: returns the number of results, or -1 with an error value on top. */
typedef int (*dlua_Dispatch)(lua_State *L, void *box);
typedef void (*dlua_Release)(void *box);

/* Set once, before any closure is pushed. */
void dlua_configure(dlua_Dispatch dispatch, dlua_Release release);

/* Pushes a Lua C closure that calls `dispatch(L, box)`; `release(box)` runs when it is collected. */
void dlua_pushclosure(lua_State *L, void *box);

/* Message handler for lua_pcall: turns any error into a table {code, message, traceback}
   (a discern.Error table keeps its metatable and gets a traceback if it has none). */
int dlua_msgh(lua_State *L);

/* Installs the count hook that checks interrupts and the instruction budget of L. */
void dlua_install_hook(lua_State *L);
/* Instruction budget: a limit of 0 disables it. The count restarts at each call. */
void dlua_set_budget(lua_State *L, int64_t limit);
int64_t dlua_budget_used(lua_State *L);

/* Interrupts: a flag the hook consumes; SIGINT sets it while the handler is installed. */
void dlua_request_interrupt(void);
void dlua_clear_interrupt(void);
int dlua_interrupt_pending(void);
/* Installs (on=1) or restores (on=0) the SIGINT handler that requests an interrupt. A second
   Ctrl-C while one is still pending (for example inside a long C call) ends the process. */
void dlua_catch_sigint(int on);

/* Reads from values Lua code handed to Swift, so that no metamethod error longjmps through a Swift
   frame: a table without a metatable is read raw; anything else (a table whose metatable may define
   __index or __len, a userdata) is read under lua_pcall. Each returns LUA_OK with the value pushed
   (dlua_plen: the length in *out), or an error status with the error value pushed. */
int dlua_pgeti(lua_State *L, int idx, lua_Integer k);
int dlua_pgetfield(lua_State *L, int idx, const char *key, size_t len);
int dlua_plen(lua_State *L, int idx, lua_Integer *out);

/* lua_newstate with the bridge's per-state data (budget) attached. */
lua_State *dlua_newstate(void);
void dlua_close(lua_State *L);
#endif
