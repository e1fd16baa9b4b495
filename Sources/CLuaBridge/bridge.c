#include "lua_bridge.h"
#include <lua5.4/lauxlib.h>
#include <lua5.4/lualib.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static dlua_Dispatch g_dispatch;
static dlua_Release g_release;
static volatile sig_atomic_t g_interrupt;

#define BOX_META "dlua.Box"
#define HOOK_EVERY 1000

typedef struct { int64_t limit; int64_t used; } dlua_Budget;

void dlua_configure(dlua_Dispatch dispatch, dlua_Release release) {
    g_dispatch = dispatch;
    g_release = release;
}

static int box_gc(lua_State *L) {
    void **slot = (void **)luaL_testudata(L, 1, BOX_META);
    if (slot && *slot) {
        if (g_release) g_release(*slot);
        *slot = NULL;
    }
    return 0;
}

static int trampoline(lua_State *L) {
    void **slot = (void **)lua_touserdata(L, lua_upvalueindex(1));
    int n = (slot && *slot && g_dispatch) ? g_dispatch(L, *slot) : (lua_pushliteral(L, "LuaKit: dead closure"), -1);
    if (n < 0) return lua_error(L); /* the Swift frame has returned; longjmp only crosses C */
    return n;
}

void dlua_pushclosure(lua_State *L, void *box) {
    void **slot = (void **)lua_newuserdatauv(L, sizeof(void *), 0);
    *slot = box;
    if (luaL_newmetatable(L, BOX_META)) {
        lua_pushcfunction(L, box_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_setmetatable(L, -2);
    lua_pushcclosure(L, trampoline, 1);
}

/* The protected bodies: arguments (value, key) on the stack. */
static int p_gettable(lua_State *L) {
    lua_settop(L, 2);
    lua_gettable(L, 1);
    return 1;
}

static int p_len(lua_State *L) {
    lua_settop(L, 1);
    lua_len(L, 1);
    return 1;
}

static int is_plain_table(lua_State *L, int idx) {
    if (lua_type(L, idx) != LUA_TTABLE) return 0;
    if (!lua_getmetatable(L, idx)) return 1;
    lua_pop(L, 1);
    return 0;
}

int dlua_pgeti(lua_State *L, int idx, lua_Integer k) {
    idx = lua_absindex(L, idx);
    if (is_plain_table(L, idx)) {
        lua_rawgeti(L, idx, k);
        return LUA_OK;
    }
    lua_pushcfunction(L, p_gettable);
    lua_pushvalue(L, idx);
    lua_pushinteger(L, k);
    return lua_pcall(L, 2, 1, 0);
}

int dlua_pgetfield(lua_State *L, int idx, const char *key, size_t len) {
    idx = lua_absindex(L, idx);
    if (is_plain_table(L, idx)) {
        lua_pushlstring(L, key, len);
        lua_rawget(L, idx);
        return LUA_OK;
    }
    lua_pushcfunction(L, p_gettable);
    lua_pushvalue(L, idx);
    lua_pushlstring(L, key, len);
    return lua_pcall(L, 2, 1, 0);
}

int dlua_plen(lua_State *L, int idx, lua_Integer *out) {
    idx = lua_absindex(L, idx);
    if (is_plain_table(L, idx)) {
        *out = (lua_Integer)lua_rawlen(L, idx);
        return LUA_OK;
    }
    lua_pushcfunction(L, p_len);
    lua_pushvalue(L, idx);
    int status = lua_pcall(L, 1, 1, 0);
    if (status != LUA_OK) return status;
    int isnum = 0;
    lua_Integer n = lua_tointegerx(L, -1, &isnum);
    if (!isnum) {
        lua_pop(L, 1);
        lua_pushliteral(L, "object length is not an integer");
        return LUA_ERRRUN;
    }
    lua_pop(L, 1);
    *out = n;
    return LUA_OK;
}

int dlua_msgh(lua_State *L) {
    if (lua_type(L, 1) == LUA_TTABLE) {
        lua_getfield(L, 1, "traceback");
        int has = !lua_isnil(L, -1);
        lua_pop(L, 1);
        if (!has) {
            luaL_traceback(L, L, NULL, 1);
            lua_setfield(L, 1, "traceback");
        }
        lua_getfield(L, 1, "code");
        int hascode = !lua_isnil(L, -1);
        lua_pop(L, 1);
        if (hascode) {
            lua_settop(L, 1);
            return 1;
        }
    }
    const char *msg = luaL_tolstring(L, 1, NULL); /* honours __tostring */
    lua_createtable(L, 0, 3);
    lua_pushliteral(L, "lua");
    lua_setfield(L, -2, "code");
    lua_pushstring(L, msg);
    lua_setfield(L, -2, "message");
    luaL_traceback(L, L, NULL, 1);
    lua_setfield(L, -2, "traceback");
    lua_pushvalue(L, 1);
    lua_setfield(L, -2, "value");
    return 1;
}

static dlua_Budget *budget_of(lua_State *L) { return *(dlua_Budget **)lua_getextraspace(L); }

static void raise_coded(lua_State *L, const char *code, const char *message) {
    lua_createtable(L, 0, 3);
    lua_pushstring(L, code);
    lua_setfield(L, -2, "code");
    lua_pushstring(L, message);
    lua_setfield(L, -2, "message");
    luaL_traceback(L, L, NULL, 1);
    lua_setfield(L, -2, "traceback");
    luaL_getmetatable(L, "discern.Error");
    if (lua_isnil(L, -1)) lua_pop(L, 1);
    else lua_setmetatable(L, -2);
    lua_error(L);
}

static void hook(lua_State *L, lua_Debug *ar) {
    (void)ar;
    if (g_interrupt) {
        g_interrupt = 0;
        raise_coded(L, "interrupted", "interrupted");
    }
    dlua_Budget *b = budget_of(L);
    if (b && b->limit > 0) {
        b->used += HOOK_EVERY;
        if (b->used > b->limit) {
            char msg[160];
            snprintf(msg, sizeof msg, "instruction budget of %lld exceeded", (long long)b->limit);
            b->used = 0;
            raise_coded(L, "budget", msg);
        }
    }
}

void dlua_install_hook(lua_State *L) { lua_sethook(L, hook, LUA_MASKCOUNT, HOOK_EVERY); }

void dlua_set_budget(lua_State *L, int64_t limit) {
    dlua_Budget *b = budget_of(L);
    if (!b) return;
    b->limit = limit;
    b->used = 0;
}

int64_t dlua_budget_used(lua_State *L) {
    dlua_Budget *b = budget_of(L);
    return b ? b->used : 0;
}

void dlua_request_interrupt(void) { g_interrupt = 1; }
void dlua_clear_interrupt(void) { g_interrupt = 0; }
int dlua_interrupt_pending(void) { return g_interrupt ? 1 : 0; }

static void on_sigint(int sig) {
    if (g_interrupt) { /* the first request was not serviced: stuck in C code */
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    g_interrupt = 1;
    static const char note[] = "\n[interrupt requested; Ctrl-C again to abort]\n";
    ssize_t w = write(STDERR_FILENO, note, sizeof note - 1);
    (void)w;
}

void dlua_catch_sigint(int on) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on ? on_sigint : SIG_DFL;
    sigaction(SIGINT, &sa, NULL);
    if (on) { /* a parent may have left SIGINT blocked (some process launchers do) */
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGINT);
        sigprocmask(SIG_UNBLOCK, &set, NULL);
    }
}

lua_State *dlua_newstate(void) {
    lua_State *L = luaL_newstate();
    if (!L) return NULL;
    dlua_Budget *b = calloc(1, sizeof *b);
    *(dlua_Budget **)lua_getextraspace(L) = b;
    return L;
}

void dlua_close(lua_State *L) {
    dlua_Budget *b = budget_of(L);
    lua_close(L);
    free(b);
}
