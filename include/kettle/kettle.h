/* Kettle C API: kettle::Client, its P2P networking and kettle::EmbeddedServer as plain C
 * (C99), for language bindings. Same semantics as the C++ API (kettle/client.hpp,
 * kettle/networking.hpp; contract: spec p2p-api.md §0.4-§2); src/capi/README.md has the details.
 *
 *   kettle_client* c = NULL;
 *   kettle_client_create(&c);
 *   kettle_client_config cfg;
 *   kettle_client_config_init(&cfg);       // defaults; server NULL = "embedded": nothing to run
 *   cfg.login_name = "alice";
 *   char msg[256];
 *   if (kettle_client_init(c, &cfg, msg, sizeof msg) != KETTLE_INIT_OK) { puts(msg); }
 *   kettle_client_set_callback(c, KETTLE_CALLBACK_P2P_SESSION_REQUEST, on_request, user);
 *   every frame: kettle_client_run_callbacks(c);
 *   kettle_client_destroy(c);
 *
 * Conventions:
 * - Functions with failures only C can have (NULL handles, small buffers, memory) return a
 *   kettle_result. The P2P calls keep Steam's bool semantics: they return 1 or 0 (0 also for a
 *   NULL client), exactly like kettle::Networking.
 * - Strings are UTF-8 and NUL-terminated. Strings copied out go into a caller buffer
 *   (buf, buf_size); *needed (may be NULL) receives the size the buffer must have, NUL included.
 *   If buf_size is smaller, nothing but a NUL (when buf_size > 0) is written and the call
 *   returns KETTLE_ERR_BUFFER_TOO_SMALL: a truncated name would be a wrong name. buf NULL with
 *   buf_size 0 asks for the size; buf NULL with buf_size > 0 is KETTLE_ERR_INVALID_ARGUMENT.
 * - SteamIDs are uint64_t; 0 is invalid.
 * - No C++ exception crosses this API; out of memory gives KETTLE_ERR_OUT_OF_MEMORY (or the
 *   call's failure value).
 * - Every function is thread-safe except kettle_client_destroy / kettle_embedded_server_destroy,
 *   which must not race with other calls on the same handle, nor run inside one of its callbacks.
 */
#ifndef KETTLE_KETTLE_H
#define KETTLE_KETTLE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct kettle_client kettle_client;
typedef struct kettle_embedded_server kettle_embedded_server;

typedef enum kettle_result {
  KETTLE_OK = 0,
  KETTLE_ERR_INVALID_ARGUMENT = 1, /* NULL pointer, unknown callback id, invalid name, ... */
  KETTLE_ERR_NOT_INITIALIZED = 2,  /* the client has no successful kettle_client_init (or was shut down) */
  KETTLE_ERR_BUFFER_TOO_SMALL = 3, /* see *needed */
  KETTLE_ERR_OUT_OF_MEMORY = 4,
  KETTLE_ERR_NOT_LOGGED_ON = 5, /* initialised, but the server connection is down (reconnecting) */
  KETTLE_ERR_SERVER_START = 6,  /* kettle_embedded_server_start failed; the message says why */
  KETTLE_ERR_INTERNAL = 7       /* an unexpected failure inside Kettle; a bug */
} kettle_result;

/* Static English text for a kettle_result ("invalid argument"); never NULL. */
const char* kettle_result_string(kettle_result r);

/* ---- Client configuration (the fields of kettle::ClientConfig) ---- */

/* kettle_client_init's return value: ESteamAPIInitResult. */
typedef enum kettle_init_result {
  KETTLE_INIT_OK = 0,
  KETTLE_INIT_FAILED_GENERIC = 1,  /* bad config or credentials, unknown app, NULL arguments, ... */
  KETTLE_INIT_NO_STEAM_CLIENT = 2, /* kettle-server unreachable */
  KETTLE_INIT_VERSION_MISMATCH = 3 /* server protocol version incompatible */
} kettle_init_result;

typedef struct kettle_client_config {
  /* Set by kettle_client_config_init; kettle_client_init refuses a config without it, so a
   * struct that was never initialised (stack garbage) cannot log in with random timings. */
  uint32_t struct_size;
  /* Strings are copied by kettle_client_init; NULL means the default ("" unless noted). */
  const char* server;           /* NULL or "embedded": the process-wide in-process server; or "HOST:PORT" */
  const char* server_key;       /* 64 hex chars; required with HOST:PORT */
  uint32_t app_id;              /* default 480 */
  const char* login_name;       /* with no password or token: dev login (server must run --dev) */
  const char* password;         /* never logged */
  const char* token;            /* alternative to password; never logged */
  int manual_pump;              /* nonzero: no I/O thread; run_callbacks / pump drive the network */
  double login_timeout_s;       /* 10 */
  double reconnect_min_s;       /* 0.25 */
  double reconnect_max_s;       /* 8 */
  double backend_liveness_s;    /* 20 */
  const char* local_bind;       /* NULL: "0.0.0.0:0" */
  double p2p_connect_timeout_s; /* 20 */
  double p2p_pending_hold_s;    /* 20 */
  double p2p_direct_timeout_s;  /* 3 */
  int precise_session_errors;   /* 0 */
  int p2p_relay_only;           /* 0 */
} kettle_client_config;

/* Fills *cfg with the defaults of kettle::ClientConfig (and struct_size). */
kettle_result kettle_client_config_init(kettle_client_config* cfg);

/* ---- Client lifecycle ---- */

/* *out = a new client, not logged in. */
kettle_result kettle_client_create(kettle_client** out);
/* Shuts down and frees; NULL is ignored. */
void kettle_client_destroy(kettle_client* client);

/* Blocking login (login_timeout_s). Init's message ("wrong password for alice", or on success
 * where and as whom) goes to message[0..message_size): NUL-terminated, truncated to fit at a
 * UTF-8 boundary; message may be NULL when message_size is 0. A NULL client or config, or a
 * config not set up by kettle_client_config_init, is KETTLE_INIT_FAILED_GENERIC with a message.
 * Init twice (without shutdown) fails the same way; the first login stays. */
kettle_init_result kettle_client_init(kettle_client* client, const kettle_client_config* cfg, char* message,
                                      size_t message_size);
kettle_result kettle_client_shutdown(kettle_client* client);
/* Delivers the queued callbacks (kettle_client_set_callback) on this thread; with manual_pump it
 * also does the network I/O. Before init: KETTLE_OK, nothing to deliver. */
kettle_result kettle_client_run_callbacks(kettle_client* client);
/* manual_pump: network I/O without delivering callbacks; otherwise a no-op. */
kettle_result kettle_client_pump(kettle_client* client);

/* ---- User and friends ---- */

/* 1 while logged on (0 while reconnecting, before init, NULL client). */
int kettle_client_logged_on(const kettle_client* client);
/* The local user's SteamID; 0 before init or for NULL. */
uint64_t kettle_client_get_steam_id(const kettle_client* client);
uint32_t kettle_client_get_app_id(const kettle_client* client);
/* KETTLE_ERR_NOT_INITIALIZED (and "") before init or after shutdown. */
kettle_result kettle_client_get_persona_name(const kettle_client* client, char* buf, size_t buf_size, size_t* needed);
/* Renames this user: the local name changes at once and KETTLE_CALLBACK_PERSONA_STATE_CHANGE
 * follows. *call (may be NULL) gets the SteamAPICall_t. KETTLE_ERR_INVALID_ARGUMENT for a name
 * that is NULL, empty, > 128 bytes, not UTF-8 or has control characters. */
kettle_result kettle_client_set_persona_name(kettle_client* client, const char* name, uint64_t* call);
/* Cached name of another user (spec §1.2): "" and a fetch if not cached yet. */
kettle_result kettle_client_get_friend_persona_name(kettle_client* client, uint64_t steam_id, char* buf,
                                                    size_t buf_size, size_t* needed);

/* EPersonaState */
enum { KETTLE_PERSONA_STATE_OFFLINE = 0, KETTLE_PERSONA_STATE_ONLINE = 1 };
/* The local user's state: online while logged on. */
int kettle_client_get_persona_state(const kettle_client* client);
int kettle_client_get_friend_persona_state(kettle_client* client, uint64_t steam_id);
/* 1: a fetch started and KETTLE_CALLBACK_PERSONA_STATE_CHANGE will follow; 0: already cached,
 * own or invalid id, not initialised. */
int kettle_client_request_user_information(kettle_client* client, uint64_t steam_id, int name_only);
/* 1 only for the app logged in to, when the account is entitled to it. */
int kettle_client_is_subscribed_app(const kettle_client* client, uint32_t app_id);
/* Kettle extension: who is online (app_id 0: every app); the answer comes as
 * KETTLE_CALLBACK_ONLINE_LIST. 0 if not logged on. */
int kettle_client_request_online_list(kettle_client* client, uint32_t app_id);

/* ---- P2P networking (ISteamNetworking; spec §2). Return 1 = true, 0 = false. ---- */

enum {
  KETTLE_P2P_SEND_UNRELIABLE = 0,
  KETTLE_P2P_SEND_UNRELIABLE_NO_DELAY = 1,
  KETTLE_P2P_SEND_RELIABLE = 2,
  KETTLE_P2P_SEND_RELIABLE_WITH_BUFFERING = 3
};
enum {
  KETTLE_P2P_SESSION_ERROR_NONE = 0,
  KETTLE_P2P_SESSION_ERROR_NOT_RUNNING_APP = 1,
  KETTLE_P2P_SESSION_ERROR_NO_RIGHTS_TO_APP = 2,
  KETTLE_P2P_SESSION_ERROR_DESTINATION_NOT_LOGGED_IN = 3,
  KETTLE_P2P_SESSION_ERROR_TIMEOUT = 4
};
#define KETTLE_MAX_P2P_UNRELIABLE 1200u
#define KETTLE_MAX_P2P_RELIABLE 1048576u
#define KETTLE_MAX_P2P_CHANNEL 255

/* P2PSessionState_t, same fields. */
typedef struct kettle_p2p_session_state {
  uint8_t m_bConnectionActive;
  uint8_t m_bConnecting;
  uint8_t m_eP2PSessionError;
  uint8_t m_bUsingRelay;
  int32_t m_nBytesQueuedForSend;
  int32_t m_nPacketsQueuedForSend;
  uint32_t m_nRemoteIP; /* IPv4, host byte order; the relay's when relayed; 0 if unknown */
  uint16_t m_nRemotePort;
} kettle_p2p_session_state;

int kettle_client_send_p2p_packet(kettle_client* client, uint64_t remote, const void* data, uint32_t size,
                                  int send_type, int channel);
int kettle_client_is_p2p_packet_available(kettle_client* client, uint32_t* msg_size, int channel);
/* A dest_size smaller than the packet copies its first dest_size bytes and discards the rest
 * (*msg_size = bytes written, returns 1): spec §2.2. */
int kettle_client_read_p2p_packet(kettle_client* client, void* dest, uint32_t dest_size, uint32_t* msg_size,
                                  uint64_t* remote, int channel);
int kettle_client_accept_p2p_session(kettle_client* client, uint64_t remote);
int kettle_client_close_p2p_session(kettle_client* client, uint64_t remote);
int kettle_client_close_p2p_channel(kettle_client* client, uint64_t remote, int channel);
/* 0 with *state zero-filled when there is no session (or it is pending, not accepted). */
int kettle_client_get_p2p_session_state(kettle_client* client, uint64_t remote, kettle_p2p_session_state* state);
int kettle_client_allow_p2p_packet_relay(kettle_client* client, int allow);
int kettle_client_set_auto_accept_lobby_members(kettle_client* client, int enable);
/* Bytes sent to remote not yet acknowledged by it; 0 once every reliable message arrived. */
uint64_t kettle_client_get_p2p_unacknowledged_bytes(kettle_client* client, uint64_t remote);

/* ---- Callbacks ---- */

/* Callback ids (Steam's k_iCallback) and the struct `data` points to for each. */
enum {
  KETTLE_CALLBACK_STEAM_SERVERS_CONNECTED = 101,      /* kettle_steam_servers_connected */
  KETTLE_CALLBACK_STEAM_SERVER_CONNECT_FAILURE = 102, /* kettle_steam_server_connect_failure */
  KETTLE_CALLBACK_STEAM_SERVERS_DISCONNECTED = 103,   /* kettle_steam_servers_disconnected */
  KETTLE_CALLBACK_PERSONA_STATE_CHANGE = 304,         /* kettle_persona_state_change */
  KETTLE_CALLBACK_P2P_SESSION_REQUEST = 1202,         /* kettle_p2p_session_request */
  KETTLE_CALLBACK_P2P_SESSION_CONNECT_FAIL = 1203,    /* kettle_p2p_session_connect_fail */
  KETTLE_CALLBACK_ONLINE_LIST = 9001                  /* kettle_online_list (Kettle extension) */
};
/* EPersonaChange flags (m_nChangeFlags). */
enum {
  KETTLE_PERSONA_CHANGE_NAME = 0x0001,
  KETTLE_PERSONA_CHANGE_STATUS = 0x0002,
  KETTLE_PERSONA_CHANGE_COME_ONLINE = 0x0004,
  KETTLE_PERSONA_CHANGE_GONE_OFFLINE = 0x0008
};
/* EResult values used in the callbacks below (Steam's numbers). */
enum {
  KETTLE_ERESULT_OK = 1,
  KETTLE_ERESULT_FAIL = 2,
  KETTLE_ERESULT_NO_CONNECTION = 3,
  KETTLE_ERESULT_LOGGED_IN_ELSEWHERE = 6,
  KETTLE_ERESULT_ACCESS_DENIED = 15
};

typedef struct kettle_steam_servers_connected {
  int m_nReserved; /* C has no empty structs; always 0 */
} kettle_steam_servers_connected;
typedef struct kettle_steam_server_connect_failure {
  int m_eResult;
  int m_bStillRetrying;
} kettle_steam_server_connect_failure;
typedef struct kettle_steam_servers_disconnected {
  int m_eResult;
} kettle_steam_servers_disconnected;
typedef struct kettle_persona_state_change {
  uint64_t m_ulSteamID;
  int m_nChangeFlags;
} kettle_persona_state_change;
typedef struct kettle_p2p_session_request {
  uint64_t m_steamIDRemote;
} kettle_p2p_session_request;
typedef struct kettle_p2p_session_connect_fail {
  uint64_t m_steamIDRemote;
  uint8_t m_eP2PSessionError;
} kettle_p2p_session_connect_fail;

typedef struct kettle_online_user {
  uint64_t steam_id;
  const char* persona_name; /* UTF-8 */
  uint32_t app_id;          /* the app the user is logged in to */
} kettle_online_user;
/* m_eResult: KETTLE_ERESULT_OK, ACCESS_DENIED (the server does not publish presence) or
 * NO_CONNECTION. m_pUsers (NULL when empty) and its strings are valid only during the call. */
typedef struct kettle_online_list {
  int m_eResult;
  uint32_t m_nUsers;
  const kettle_online_user* m_pUsers;
} kettle_online_list;

/* `data` is valid only during the call. Handlers may call any function of this API on the
 * client (including set_callback), except kettle_client_destroy. */
typedef void (*kettle_callback_fn)(void* user, int callback_id, const void* data);

/* One handler per (client, callback_id); a new one replaces the old, fn NULL removes it.
 * Delivered only inside kettle_client_run_callbacks, on its thread, in posting order.
 * Subscriptions survive init and shutdown. KETTLE_ERR_INVALID_ARGUMENT for an id not listed above. */
kettle_result kettle_client_set_callback(kettle_client* client, int callback_id, kettle_callback_fn fn, void* user);

/* ---- Embedded server (kettle::EmbeddedServer: a full kettle-server in this process) ---- */

typedef struct kettle_embedded_server_options {
  uint32_t struct_size;          /* set by kettle_embedded_server_options_init */
  const char* db_path;           /* NULL/"": a fresh temporary database, deleted on destroy */
  const char* udp;               /* NULL: "127.0.0.1:0" (random loopback port) */
  int http;                      /* nonzero: also serve /healthz, /metrics, /api/status on a random port */
  const char* key_seed_hex;      /* NULL: a fresh random key; else 64 hex chars (secret) */
  double certificate_lifetime_s; /* 3600 */
  double backend_liveness_s;     /* 20 */
  int precise_session_errors;    /* 1: tell precise_session_errors clients offline vs another app */
} kettle_embedded_server_options;

kettle_result kettle_embedded_server_options_init(kettle_embedded_server_options* options);
/* KETTLE_ERR_SERVER_START with the reason in error[0..error_size) if it could not start. */
kettle_result kettle_embedded_server_start(const kettle_embedded_server_options* options, kettle_embedded_server** out,
                                           char* error, size_t error_size);
void kettle_embedded_server_destroy(kettle_embedded_server* server);
/* "127.0.0.1:PORT" */
kettle_result kettle_embedded_server_address(const kettle_embedded_server* server, char* buf, size_t buf_size,
                                             size_t* needed);
/* 64 hex chars */
kettle_result kettle_embedded_server_public_key(const kettle_embedded_server* server, char* buf, size_t buf_size,
                                                size_t* needed);
/* "" without HTTP */
kettle_result kettle_embedded_server_http_address(const kettle_embedded_server* server, char* buf, size_t buf_size,
                                                  size_t* needed);
/* Points cfg->server and cfg->server_key at this server's address and key; the strings belong to
 * the server handle and stay valid until kettle_embedded_server_destroy. */
kettle_result kettle_embedded_server_configure(const kettle_embedded_server* server, kettle_client_config* cfg);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* KETTLE_KETTLE_H */
