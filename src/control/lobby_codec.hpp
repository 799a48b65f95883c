// Internal to src/control: encoders and decoders of the lobby bodies (docs/protocol.md §15),
// used by encode() / decode() in messages.cpp through the same put_body / get_body overload
// sets as the other bodies. put_body is defined in lobby_codec.cpp and instantiated there for
// the two writers messages.cpp uses (SizeCounter, ByteWriter).
#pragma once

#include "control/lobby_messages.hpp"
#include "core/bytes.hpp"
#include "core/result.hpp"

namespace kettle::control::detail {

template <class W>
void put_body(W& w, const CreateLobby& m);
template <class W>
void put_body(W& w, const JoinLobby& m);
template <class W>
void put_body(W& w, const LeaveLobby& m);
template <class W>
void put_body(W& w, const SetLobbyData& m);
template <class W>
void put_body(W& w, const SetLobbyMemberData& m);
template <class W>
void put_body(W& w, const SetLobbySetting& m);
template <class W>
void put_body(W& w, const SendLobbyChat& m);
template <class W>
void put_body(W& w, const RequestLobbyList& m);
template <class W>
void put_body(W& w, const RequestLobbyData& m);
template <class W>
void put_body(W& w, const InviteToLobby& m);
template <class W>
void put_body(W& w, const SendJoinIntent& m);
template <class W>
void put_body(W& w, const LobbyEntered& m);
template <class W>
void put_body(W& w, const LobbyMemberUpdate& m);
template <class W>
void put_body(W& w, const LobbyDataUpdate& m);
template <class W>
void put_body(W& w, const LobbyChat& m);
template <class W>
void put_body(W& w, const LobbyList& m);
template <class W>
void put_body(W& w, const LobbyData& m);
template <class W>
void put_body(W& w, const LobbyInvite& m);
template <class W>
void put_body(W& w, const LobbyJoinRequested& m);
template <class W>
void put_body(W& w, const LobbyKicked& m);

Status get_body(ByteReader& r, CreateLobby& m);
Status get_body(ByteReader& r, JoinLobby& m);
Status get_body(ByteReader& r, LeaveLobby& m);
Status get_body(ByteReader& r, SetLobbyData& m);
Status get_body(ByteReader& r, SetLobbyMemberData& m);
Status get_body(ByteReader& r, SetLobbySetting& m);
Status get_body(ByteReader& r, SendLobbyChat& m);
Status get_body(ByteReader& r, RequestLobbyList& m);
Status get_body(ByteReader& r, RequestLobbyData& m);
Status get_body(ByteReader& r, InviteToLobby& m);
Status get_body(ByteReader& r, SendJoinIntent& m);
Status get_body(ByteReader& r, LobbyEntered& m);
Status get_body(ByteReader& r, LobbyMemberUpdate& m);
Status get_body(ByteReader& r, LobbyDataUpdate& m);
Status get_body(ByteReader& r, LobbyChat& m);
Status get_body(ByteReader& r, LobbyList& m);
Status get_body(ByteReader& r, LobbyData& m);
Status get_body(ByteReader& r, LobbyInvite& m);
Status get_body(ByteReader& r, LobbyJoinRequested& m);
Status get_body(ByteReader& r, LobbyKicked& m);

}  // namespace kettle::control::detail
