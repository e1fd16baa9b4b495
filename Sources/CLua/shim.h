#ifndef DISCERN_CLUA_SHIM_H
#define DISCERN_CLUA_SHIM_H
/* Lua 5.4 from Debian's liblua5.4-dev. Function-like macros re-exported as inline functions. */
#include <lua5.4/lua.h>
#include <lua5.4/lualib.h>
#include <lua5.4/lauxlib.h>

static inline void dlua_pop(lua_State *L, int n) { lua_pop(L, n); }
static inline void dlua_newtable(lua_State *L) { lua_newtable(L); }
static inline const char *dlua_tostring(lua_State *L, int i) { return lua_tolstring(L, i, NULL); }
static inline int dlua_isnil(lua_State *L, int i) { return lua_isnil(L, i); }
static inline int dlua_isnoneornil(lua_State *L, int i) { return lua_isnoneornil(L, i); }
static inline int dlua_upvalueindex(int i) { return lua_upvalueindex(i); }
static inline int dlua_registryindex(void) { return LUA_REGISTRYINDEX; }
static inline int dlua_pcall(lua_State *L, int nargs, int nresults, int msgh) { return lua_pcall(L, nargs, nresults, msgh); }
static inline void dlua_getmetatable_named(lua_State *L, const char *n) { luaL_getmetatable(L, n); }
static inline int dlua_multret(void) { return LUA_MULTRET; }
static inline int dlua_isinteger(lua_State *L, int i) { return lua_isinteger(L, i); }
static inline void dlua_pushglobaltable(lua_State *L) { lua_pushglobaltable(L); }
#endif
