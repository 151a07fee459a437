"""RedisLiveState: the live meeting state in Redis, shared by every process of a deployment.

Each operation is one Lua script, so each read-then-write rule is atomic across processes.
A join also publishes, from inside its script, the Socket.IO messages that announce it (on
python-socketio's Redis channel): the joiner's `joined` (on its process's own channel,
`<channel>:node:<node id>`), `participant:joined` to the others and the joiner's entry into
the meeting's rooms. Every process receives both its channels on one connection, in one
order, so each pair of participants learns of each other exactly once, whatever races. A
relayed signal goes to the target's process's channel alone.

Keys (under a prefix, `onepizza:` by default): `m:<id>` (a hash: the meeting; its `br` field
holds the open breakout rooms and assignments as JSON, `stream` the live stream's host),
`m:<id>:p` (participants as JSON, each with the breakout `room` it is in), `m:<id>:inv`,
`m:<id>:w` (waiting), `m:<id>:a` (admitted), `m:<id>:msg` (recent chat ids), `s:<sid>`
(where a socket is), `sw:<sid>`, `node:<id>` (sockets of a process), `meetings`, `empty`
(a sorted set: empty since), `ending`, `ended:<id>`. A meeting's keys are deleted when it
ends, and expire MEETING_TTL after its
last join or leave should every process die first."""

from __future__ import annotations

import asyncio
import inspect
import time

import orjson
import redis.asyncio as aioredis
from redis.asyncio.connection import AbstractConnection
from redis.exceptions import NoScriptError

from onepizza.live.state import (
    DEFAULT_SETTINGS,
    MAX_REMEMBERED_MESSAGES,
    Announcement,
    BreakoutStep,
    JoinOutcome,
    JoinRequest,
    LiveMeeting,
    LiveState,
    Participant,
    check_changes,
)

MEETING_TTL = 24 * 3600  # seconds
MAX_CONNECTIONS = 32  # to Redis, per process
# No CLIENT SETINFO: redis-py 8 reads its own package metadata for it on every new connection
# (milliseconds of CPU each, so a burst of joins on a fresh pool paid it dozens of times).
NO_CLIENT_INFO = (
    {"driver_info": None}  # redis-py 7.1 and later
    if "driver_info" in inspect.signature(AbstractConnection.__init__).parameters
    else {"lib_name": None, "lib_version": None}
)
POOL_TIMEOUT = 10.0  # seconds a command waits for a free connection
MAX_BATCH = 256  # scripts pipelined in one round trip
ENDED_TTL = 24 * 3600
HOST_ID = "onepizza-live"  # the sender of announcements: every process handles them

_PRELUDE = r"""
local P = ARGV[1]
local TTL = 86400
local function mkey(id, suffix) return P .. 'm:' .. id .. (suffix or '') end
local function hash_table(flat)
  local t = {}
  for i = 1, #flat, 2 do t[flat[i]] = flat[i + 1] end
  return t
end
local function meta(id)
  local flat = redis.call('HGETALL', mkey(id))
  if #flat == 0 then return nil end
  local t = hash_table(flat)
  t.id = id
  return t
end
local function values(key)
  return redis.call('HVALS', key)
end
local function snapshot(id, with_people)
  local m = meta(id)
  if not m then return nil end
  local s = {meta = m}
  if with_people then
    s.participants = values(mkey(id, ':p'))
    s.waiting = redis.call('HGETALL', mkey(id, ':w'))
  end
  return s
end
local function forget(id)
  -- a meeting whose keys expired (every process died): out of the indexes
  redis.call('SREM', P .. 'meetings', id)
  redis.call('SREM', P .. 'ending', id)
  redis.call('ZREM', P .. 'empty', id)
end
local function touch(id)
  for _, suffix in ipairs({'', ':p', ':inv', ':w', ':a', ':msg'}) do
    redis.call('EXPIRE', mkey(id, suffix), TTL)
  end
end
local function located(sid)
  -- the meeting id and participant id of a socket (its `s:` key), or nil
  local where = redis.call('GET', P .. 's:' .. sid)
  if not where then return nil end
  local nl = string.find(where, '\n', 1, true)
  return string.sub(where, 1, nl - 1), string.sub(where, nl + 1)
end
local function to_main_room(id)
  -- everyone of the meeting back in the main room (breakout rooms closed or replaced)
  local pkey = mkey(id, ':p')
  for _, raw in ipairs(values(pkey)) do
    local p = cjson.decode(raw)
    if p.room and p.room ~= '' then
      p.room = ''
      redis.call('HSET', pkey, p.participantId, cjson.encode(p))
    end
  end
end
local function json_list(items)
  -- a JSON array of strings (cjson writes an empty table as {})
  local quoted = {}
  for i, item in ipairs(items) do quoted[i] = cjson.encode(item) end
  return '[' .. table.concat(quoted, ',') .. ']'
end
local function breakout_json(m, people)
  -- `joined`'s breakout: its rooms and who is in each (services/breakout.py, rooms_view)
  if not m.br then return 'null' end
  local br = cjson.decode(m.br)
  local members = {}
  for _, raw in ipairs(people) do
    local p = cjson.decode(raw)
    if p.room and p.room ~= '' then
      members[p.room] = members[p.room] or {}
      table.insert(members[p.room], p.participantId)
    end
  end
  local out = {}
  for i, room in ipairs(br.rooms) do
    local ids = members[room.id] or {}
    table.sort(ids)
    out[i] = '{"id":' .. cjson.encode(room.id) .. ',"name":' .. cjson.encode(room.name) ..
      ',"participantCount":' .. #ids .. ',"participants":' .. json_list(ids) .. '}'
  end
  return '{"rooms":[' .. table.concat(out, ',') .. ']}'
end
local function remove_socket(sid, now)
  -- take a socket out of its meeting; the meeting after it and the participant, or nil
  local id, pid = located(sid)
  if not id then return nil end
  redis.call('DEL', P .. 's:' .. sid)
  local pkey = mkey(id, ':p')
  local raw = redis.call('HGET', pkey, pid)
  if not raw then return nil end
  redis.call('HDEL', pkey, pid)
  local p = cjson.decode(raw)
  if p.node then redis.call('SREM', P .. 'node:' .. p.node, sid) end
  if redis.call('HLEN', pkey) == 0 and redis.call('HGET', mkey(id), 'status') == 'live' then
    redis.call('HSET', mkey(id), 'empty_since', now)
    redis.call('ZADD', P .. 'empty', now, id)
  end
  touch(id)
  return {meeting = snapshot(id, true), participant = raw}
end
"""

_ADD_MEETING = r"""
local id = ARGV[2]
if redis.call('EXISTS', mkey(id)) == 1 then return 0 end
local fields = cjson.decode(ARGV[3])
for k, v in pairs(fields) do redis.call('HSET', mkey(id), k, v) end
redis.call('HSET', mkey(id), 'status', 'live', 'empty_since', ARGV[4])
redis.call('SADD', P .. 'meetings', id)
redis.call('ZADD', P .. 'empty', ARGV[4], id)
touch(id)
return 1
"""

_SNAPSHOT = r"""
local s = snapshot(ARGV[2], true)
if not s then return false end
return cjson.encode(s)
"""

_ALL = r"""
local out = {}
for _, id in ipairs(redis.call('SMEMBERS', P .. 'meetings')) do
  local s = snapshot(id, true)
  if s then table.insert(out, cjson.encode(s)) else forget(id) end
end
return out
"""

_UPDATE_SETTINGS = r"""
local id = ARGV[2]
if redis.call('HGET', mkey(id), 'status') ~= 'live' then return false end
local changes = cjson.decode(ARGV[3])
local settings = cjson.decode(redis.call('HGET', mkey(id), 'settings'))
for k, v in pairs(changes.settings) do settings[k] = v end
redis.call('HSET', mkey(id), 'settings', cjson.encode(settings))
if type(changes.title) == 'string' then redis.call('HSET', mkey(id), 'title', changes.title) end
touch(id)
return cjson.encode(snapshot(id, true))
"""

_JOIN = r"""
local id, me, is_admin = ARGV[2], cjson.decode(ARGV[3]), ARGV[4] == '1'
local admit_sid, invite, resume, now = ARGV[5], ARGV[6], ARGV[7], ARGV[8]
local m = meta(id)
if not m then return cjson.encode({refused = 'missing'}) end
if m.status ~= 'live' then return cjson.encode({refused = 'ending'}) end
if ARGV[10] ~= '' and ARGV[10] == m.admin then is_admin = true end
local settings = cjson.decode(m.settings)
local pkey = mkey(id, ':p')
local replaced = nil
if resume ~= '' then
  for _, raw in ipairs(values(pkey)) do
    local p = cjson.decode(raw)
    if p.resume == resume then replaced = p end
  end
end
local admitted = admit_sid ~= '' and redis.call('SISMEMBER', mkey(id, ':a'), admit_sid) == 1
local invited = (not is_admin) and (not admitted) and invite ~= ''
  and redis.call('HEXISTS', mkey(id, ':inv'), invite) == 1
local let_in = is_admin or admitted or invited
if not let_in and settings.locked then return cjson.encode({refused = 'locked'}) end
if not let_in and settings.waitingRoom then return cjson.encode({refused = 'waiting_room'}) end
local count = redis.call('HLEN', pkey)
if replaced then count = count - 1 end
if count >= settings.maxParticipants then return cjson.encode({refused = 'full'}) end
if admitted then redis.call('SREM', mkey(id, ':a'), admit_sid) end
if invited then redis.call('HDEL', mkey(id, ':inv'), invite) end
local replaced_raw = false
if replaced then
  replaced_raw = redis.call('HGET', pkey, replaced.participantId)
  redis.call('HDEL', pkey, replaced.participantId)
  redis.call('DEL', P .. 's:' .. replaced.sid)
  if replaced.node then redis.call('SREM', P .. 'node:' .. replaced.node, replaced.sid) end
end
me.isAdmin = is_admin
me.room = ''
me.isMuted = settings.muteOnJoin
me.isVideoOff = settings.videoOffOnJoin
local others = values(pkey)
local mine = cjson.encode(me)
redis.call('HSET', pkey, me.participantId, mine)
redis.call('SET', P .. 's:' .. me.sid, id .. '\n' .. me.participantId, 'EX', TTL)
redis.call('SADD', P .. 'node:' .. me.node, me.sid)
redis.call('EXPIRE', P .. 'node:' .. me.node, TTL)
local size = redis.call('HLEN', pkey)
if size > tonumber(m.peak or '0') then redis.call('HSET', mkey(id), 'peak', size) end
redis.call('HDEL', mkey(id), 'empty_since')
redis.call('ZREM', P .. 'empty', id)
touch(id)
if ARGV[9] ~= '' then
  local a = cjson.decode(ARGV[9])
  local channel, host = a.channel, a.host
  local list = {}
  for i, raw in ipairs(others) do
    local p = cjson.decode(raw)
    list[i] = cjson.encode({participantId = p.participantId, name = p.name,
      isMuted = p.isMuted, isVideoOff = p.isVideoOff, isScreenSharing = p.isScreenSharing,
      isHandRaised = p.isHandRaised, isAdmin = p.isAdmin})
  end
  local joined = a.joined
  joined.isAdmin = is_admin
  joined.settings = {muteOnJoin = settings.muteOnJoin, videoOffOnJoin = settings.videoOffOnJoin,
    maxParticipants = settings.maxParticipants, locked = settings.locked,
    waitingRoom = settings.waitingRoom}
  joined.title = m.title
  joined.muteOnJoin = settings.muteOnJoin
  joined.videoOffOnJoin = settings.videoOffOnJoin
  joined.isRecording = m.rec ~= nil
  joined.recordingHostName = m.rec or cjson.null
  local body = cjson.encode(joined)
  body = string.sub(body, 1, -2) .. ',"participants":[' .. table.concat(list, ',') .. ']}'
  body = string.sub(body, 1, -2) .. ',"breakout":' .. breakout_json(m, others) ..
    ',"isStreaming":' .. tostring(m.stream ~= nil) ..
    ',"streamHostName":' .. (m.stream and cjson.encode(m.stream) or 'null') .. '}'
  if a.extra and a.extra ~= '' then body = string.sub(body, 1, -2) .. ',' .. a.extra .. '}' end
  -- `joined` on the joiner's process's own channel: no other process needs it
  redis.call('PUBLISH', channel .. ':node:' .. me.node,
    '{"method":"emit","event":"joined","data":[' .. body ..
    '],"binary":false,"namespace":"/","room":' .. cjson.encode(me.sid) ..
    ',"skip_sid":null,"callback":null,"host_id":' .. cjson.encode(host) .. '}')
  redis.call('PUBLISH', channel, cjson.encode({method = 'emit', event = 'participant:joined',
    data = {{participantId = me.participantId, name = me.name, isMuted = me.isMuted,
             isVideoOff = me.isVideoOff, isAdmin = me.isAdmin}},
    binary = false, namespace = '/', room = a.room, skip_sid = me.sid, host_id = host}))
  local rooms = a.rooms
  if is_admin then for _, room in ipairs(a.host_rooms) do table.insert(rooms, room) end end
  for _, room in ipairs(rooms) do
    redis.call('PUBLISH', channel, cjson.encode({method = 'enter_room', sid = me.sid,
      room = room, namespace = '/', host_id = host}))
  end
end
return cjson.encode({meeting = snapshot(id, true), participant = mine, invited = invited,
  replaced = replaced_raw, announced = ARGV[9] ~= ''})
"""

_LEAVE = r"""
local left = remove_socket(ARGV[2], ARGV[3])
if not left then return false end
return cjson.encode(left)
"""

_REAP = r"""
local out = {}
for _, sid in ipairs(redis.call('SMEMBERS', P .. 'node:' .. ARGV[2])) do
  local left = remove_socket(sid, ARGV[3])
  if left then table.insert(out, cjson.encode(left)) end
end
redis.call('DEL', P .. 'node:' .. ARGV[2])
return out
"""

_BEGIN_END = r"""
local id = ARGV[2]
if redis.call('HGET', mkey(id), 'status') ~= 'live' then return false end
if ARGV[4] ~= '' then
  local since = redis.call('HGET', mkey(id), 'empty_since')
  if not since or tonumber(since) > tonumber(ARGV[4]) then return false end
end
redis.call('HSET', mkey(id), 'status', 'ending', 'ender', ARGV[3])
redis.call('ZREM', P .. 'empty', id)
redis.call('SADD', P .. 'ending', id)
for _, raw in ipairs(values(mkey(id, ':p'))) do
  local p = cjson.decode(raw)
  redis.call('DEL', P .. 's:' .. p.sid)
  if p.node then redis.call('SREM', P .. 'node:' .. p.node, p.sid) end
end
return cjson.encode(snapshot(id, true))
"""

_FINISH_END = r"""
local id = ARGV[2]
for _, raw in ipairs(values(mkey(id, ':p'))) do
  local p = cjson.decode(raw)
  local where = redis.call('GET', P .. 's:' .. p.sid)
  if where and string.sub(where, 1, #id + 1) == id .. '\n' then
    redis.call('DEL', P .. 's:' .. p.sid)
  end
end
for _, sid in ipairs(redis.call('HKEYS', mkey(id, ':w'))) do
  redis.call('SREM', P .. 'sw:' .. sid, id)
end
for _, sid in ipairs(redis.call('SMEMBERS', mkey(id, ':a'))) do
  redis.call('SREM', P .. 'sw:' .. sid, id)
end
for _, suffix in ipairs({'', ':p', ':inv', ':w', ':a', ':msg'}) do
  redis.call('DEL', mkey(id, suffix))
end
redis.call('SREM', P .. 'meetings', id)
redis.call('SREM', P .. 'ending', id)
redis.call('ZREM', P .. 'empty', id)
return 1
"""

_ENDINGS_OF = r"""
local out = {}
for _, id in ipairs(redis.call('SMEMBERS', P .. 'ending')) do
  local ender = redis.call('HGET', mkey(id), 'ender')
  if not ender then forget(id) elseif ender == ARGV[2] then table.insert(out, id) end
end
return out
"""

_EMPTY_BEFORE = r"""
local out = {}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', P .. 'empty', '-inf', ARGV[2])) do
  if redis.call('HGET', mkey(id), 'status') == 'live' then table.insert(out, id)
  else forget(id) end
end
return out
"""

_LOCATE = r"""
local id, pid = located(ARGV[2])
if not id then return false end
local raw = redis.call('HGET', mkey(id, ':p'), pid)
if not raw then return false end
local s = snapshot(id, false)
if not s then return false end
-- not the participants, but the processes their sockets are on (is a broadcast local?)
local seen, nodes = {}, {}
for _, p in ipairs(redis.call('HVALS', mkey(id, ':p'))) do
  local node = string.match(p, '"node":"([^"]*)"') or ''
  if not seen[node] then seen[node] = true table.insert(nodes, node) end
end
s.nodes = nodes
return cjson.encode({meeting = s, participant = raw})
"""

_RELAY = r"""
local id, pid = located(ARGV[2])
if not id then return false end
local pkey = mkey(id, ':p')
if redis.call('HEXISTS', pkey, pid) == 0 then return false end
local raw = redis.call('HGET', pkey, ARGV[3])
if not raw then return {pid} end
local target = cjson.decode(raw)
if redis.call('HEXISTS', mkey(id), 'br') == 1 then
  -- breakout rooms open: only to a participant of the sender's own room
  local sender = cjson.decode(redis.call('HGET', pkey, pid))
  if (sender.room or '') ~= (target.room or '') then return {pid, '', 0} end
end
-- without a channel (a plain route) or for this process's socket, the caller emits
if ARGV[9] == '' or target.node == ARGV[8] then return {pid, target.sid, 0} end
-- to the target's process alone (its own channel), or to all of them
local channel = ARGV[9]
if target.node then channel = channel .. ':node:' .. target.node end
redis.call('PUBLISH', channel, '{"method":"emit","event":' .. cjson.encode(ARGV[4]) ..
  ',"data":[{"from":' .. cjson.encode(pid) .. ',' .. cjson.encode(ARGV[5]) .. ':' .. ARGV[6] ..
  '}],"binary":false,"namespace":"/","room":' .. cjson.encode(target.sid) ..
  ',"skip_sid":null,"callback":null,"host_id":' .. cjson.encode(ARGV[7]) .. '}')
return {pid, target.sid, 1}
"""

_UPDATE_PARTICIPANT = r"""
local id, pid = located(ARGV[2])
if not id then return false end
local pkey = mkey(id, ':p')
local raw = redis.call('HGET', pkey, pid)
if not raw then return false end
local p = cjson.decode(raw)
for k, v in pairs(cjson.decode(ARGV[3])) do p[k] = v end
raw = cjson.encode(p)
redis.call('HSET', pkey, pid, raw)
return raw
"""

_IF_LIVE = r"""
local id = ARGV[2]
if redis.call('HGET', mkey(id), 'status') ~= 'live' then return false end
"""

_ADD_INVITE = _IF_LIVE + "redis.call('HSET', mkey(id, ':inv'), ARGV[3], ARGV[4]) touch(id) return 1"

_SET_RECORDING = (
    _IF_LIVE
    + """
if ARGV[3] == '1' then redis.call('HSET', mkey(id), 'rec', ARGV[4])
else redis.call('HDEL', mkey(id), 'rec') end
return 1
"""
)

_ADD_WAITING = (
    _IF_LIVE
    + """
redis.call('HSET', mkey(id, ':w'), ARGV[3], ARGV[4])
redis.call('SADD', P .. 'sw:' .. ARGV[3], id)
redis.call('EXPIRE', P .. 'sw:' .. ARGV[3], TTL)
touch(id)
return redis.call('HLEN', mkey(id, ':w'))
"""
)

_REMOVE_WAITING = r"""
local id, sid = ARGV[2], ARGV[3]
local name = redis.call('HGET', mkey(id, ':w'), sid)
if not name then return false end
redis.call('HDEL', mkey(id, ':w'), sid)
redis.call('SREM', P .. 'sw:' .. sid, id)
return {name, redis.call('HLEN', mkey(id, ':w'))}
"""

_LEAVE_WAITING_ROOMS = r"""
local sid = ARGV[2]
local out = {}
for _, id in ipairs(redis.call('SMEMBERS', P .. 'sw:' .. sid)) do
  if redis.call('HDEL', mkey(id, ':w'), sid) == 1 then
    table.insert(out, {id, redis.call('HLEN', mkey(id, ':w'))})
  end
  redis.call('SREM', mkey(id, ':a'), sid)
end
redis.call('DEL', P .. 'sw:' .. sid)
return out
"""

_ADMIT = (
    _IF_LIVE
    + """
redis.call('SADD', mkey(id, ':a'), ARGV[3])
redis.call('SADD', P .. 'sw:' .. ARGV[3], id)
redis.call('EXPIRE', P .. 'sw:' .. ARGV[3], TTL)
touch(id)
return 1
"""
)

_REMEMBER_MESSAGE = r"""
local key = mkey(ARGV[2], ':msg')
if redis.call('EXISTS', mkey(ARGV[2])) == 0 then return 0 end
redis.call('ZADD', key, ARGV[4], ARGV[3])
redis.call('ZREMRANGEBYRANK', key, 0, -(tonumber(ARGV[5]) + 1))
redis.call('EXPIRE', key, TTL)
return 1
"""


_CREATE_BREAKOUT = (
    _IF_LIVE
    + """
local before = snapshot(id, true)
redis.call('HSET', mkey(id), 'br', '{"rooms":' .. ARGV[3] .. ',"assigned":{}}')
to_main_room(id)
touch(id)
return cjson.encode({before = before, after = snapshot(id, true)})
"""
)

_ASSIGN_BREAKOUT = r"""
local id = ARGV[2]
local m = meta(id)
if not m or m.status ~= 'live' or not m.br then return cjson.encode({refused = 'no_breakout'}) end
local br = cjson.decode(m.br)
local rooms = {}
for _, room in ipairs(br.rooms) do rooms[room.id] = true end
local pairs_ = cjson.decode(ARGV[3])
for _, pair in ipairs(pairs_) do
  if pair[2] ~= '' and not rooms[pair[2]] then return cjson.encode({refused = 'unknown_room'}) end
  if redis.call('HEXISTS', mkey(id, ':p'), pair[1]) == 0 then
    return cjson.encode({refused = 'unknown_participant'})
  end
end
local assigned = br.assigned
if type(assigned) ~= 'table' then assigned = {} end
for _, pair in ipairs(pairs_) do
  if pair[2] == '' then assigned[pair[1]] = nil else assigned[pair[1]] = pair[2] end
end
local parts = {}
for pid, room in pairs(assigned) do
  table.insert(parts, cjson.encode(pid) .. ':' .. cjson.encode(room))
end
redis.call('HSET', mkey(id), 'br', '{"rooms":' .. cjson.encode(br.rooms) ..
  ',"assigned":{' .. table.concat(parts, ',') .. '}}')
touch(id)
return cjson.encode({meeting = snapshot(id, true)})
"""

_MOVE_BREAKOUT = r"""
local id, pid = located(ARGV[2])
if not id then return cjson.encode({refused = 'not_joined'}) end
local pkey = mkey(id, ':p')
local raw = redis.call('HGET', pkey, pid)
if not raw then return cjson.encode({refused = 'not_joined'}) end
local m = meta(id)
if not m.br then return cjson.encode({refused = 'no_breakout'}) end
local me, room = cjson.decode(raw), ARGV[3]
local previous = me.room or ''
local br = cjson.decode(m.br)
if room == '' then
  if previous == '' then return cjson.encode({refused = 'not_in_room'}) end
else
  local known = false
  for _, r in ipairs(br.rooms) do if r.id == room then known = true end end
  if not known then return cjson.encode({refused = 'unknown_room'}) end
  local assigned = type(br.assigned) == 'table' and br.assigned[me.participantId] or nil
  if not me.isAdmin and assigned ~= room then
    return cjson.encode({refused = 'not_assigned'})
  end
end
me.room = room
raw = cjson.encode(me)
redis.call('HSET', pkey, pid, raw)
return cjson.encode({meeting = snapshot(id, true), participant = raw, previous = previous})
"""

_CLOSE_BREAKOUT = r"""
local id = ARGV[2]
if redis.call('HGET', mkey(id), 'status') ~= 'live' then return false end
if redis.call('HEXISTS', mkey(id), 'br') == 0 then return false end
local before = snapshot(id, true)
redis.call('HDEL', mkey(id), 'br')
to_main_room(id)
return cjson.encode(before)
"""

_SET_STREAM = (
    _IF_LIVE
    + """
local running = redis.call('HEXISTS', mkey(id), 'stream') == 1
if ARGV[3] == '1' then
  if running then return 0 end
  redis.call('HSET', mkey(id), 'stream', ARGV[4])
else
  if not running then return 0 end
  redis.call('HDEL', mkey(id), 'stream')
end
return 1
"""
)


def connection_pool(url: str, **options) -> aioredis.BlockingConnectionPool:
    """A blocking pool (a burst of commands waits for a connection instead of failing with
    MaxConnectionsError), without CLIENT SETINFO; for this store and Socket.IO's manager."""
    return aioredis.BlockingConnectionPool.from_url(
        url, max_connections=MAX_CONNECTIONS, timeout=POOL_TIMEOUT, **NO_CLIENT_INFO, **options
    )


def _participant(raw: str | bytes) -> Participant:
    p = orjson.loads(raw)
    return Participant(
        participant_id=p["participantId"],
        sid=p["sid"],
        name=p["name"],
        is_admin=p["isAdmin"],
        is_muted=p["isMuted"],
        is_video_off=p["isVideoOff"],
        is_screen_sharing=p["isScreenSharing"],
        is_hand_raised=p["isHandRaised"],
        joined_at=int(p["joinedAt"]),
        node=p.get("node", ""),
        resume_hash=p.get("resume", ""),
        room=p.get("room") or "",
    )


def _participant_json(p: Participant) -> bytes:
    return orjson.dumps(
        {
            "participantId": p.participant_id,
            "sid": p.sid,
            "name": p.name,
            "isAdmin": p.is_admin,
            "isMuted": p.is_muted,
            "isVideoOff": p.is_video_off,
            "isScreenSharing": p.is_screen_sharing,
            "isHandRaised": p.is_hand_raised,
            "joinedAt": p.joined_at,
            "node": p.node,
            "resume": p.resume_hash,
            "room": p.room,
        }
    )


_CAMEL = {
    "is_muted": "isMuted",
    "is_video_off": "isVideoOff",
    "is_screen_sharing": "isScreenSharing",
    "is_hand_raised": "isHandRaised",
    "name": "name",
}


def _step(raw: str) -> BreakoutStep:
    found = orjson.loads(raw)
    if found.get("refused"):
        return BreakoutStep(refused=found["refused"])
    return BreakoutStep(
        meeting=_meeting(found["meeting"]),
        participant=_participant(found["participant"]) if found.get("participant") else None,
        previous=found.get("previous") or "",
    )


def _optional_int(value: str | None) -> int | None:
    return int(value) if value not in (None, "") else None


def _meeting(snapshot: dict) -> LiveMeeting:
    m = snapshot["meta"]
    people = snapshot.get("participants") or []  # cjson writes an empty list as {}
    waiting = snapshot.get("waiting") or []
    participants = {p.participant_id: p for p in map(_participant, people)}
    return LiveMeeting(
        meeting_id=m["id"],
        title=m["title"],
        admin_token_hash=bytes.fromhex(m["admin"]),
        owner_id=_optional_int(m.get("owner")),
        company_id=_optional_int(m.get("company")),
        guest=m.get("guest") == "1",
        settings={**DEFAULT_SETTINGS, **orjson.loads(m["settings"])},
        created_at=int(m["created_at"]),
        started_at=float(m["started_at"]),
        participants=participants,
        peak_participants=int(m.get("peak") or 0),
        empty_since=float(m["empty_since"]) if m.get("empty_since") else None,
        recording_host=m.get("rec"),
        waiting=dict(zip(waiting[::2], waiting[1::2], strict=True)),
        status=m["status"],
        ender=m.get("ender", ""),
        breakout=_breakout(m.get("br")),
        stream_host=m.get("stream"),
        nodes=frozenset(snapshot["nodes"]) if "nodes" in snapshot else None,
    )


def _breakout(raw: str | None) -> dict | None:
    if not raw:
        return None
    breakout = orjson.loads(raw)
    return {"rooms": breakout["rooms"], "assigned": breakout.get("assigned") or {}}


class RedisLiveState(LiveState):
    """LiveState in Redis (redis-py's asyncio client); see the module docstring."""

    def __init__(self, url: str, *, prefix: str = "onepizza:", channel: str | None = None):
        # A blocking pool: a burst of joins waits for a connection instead of failing.
        self._redis = aioredis.Redis(connection_pool=connection_pool(url, decode_responses=True))
        self._prefix = prefix
        self.channel = channel  # python-socketio's channel: joins are announced on it
        script = lambda body: self._redis.register_script(_PRELUDE + body)  # noqa: E731
        self._add_meeting = script(_ADD_MEETING)
        self._snapshot = script(_SNAPSHOT)
        self._all = script(_ALL)
        self._update_settings = script(_UPDATE_SETTINGS)
        self._join = script(_JOIN)
        self._leave = script(_LEAVE)
        self._reap = script(_REAP)
        self._begin_end = script(_BEGIN_END)
        self._finish_end = script(_FINISH_END)
        self._endings_of = script(_ENDINGS_OF)
        self._empty_before = script(_EMPTY_BEFORE)
        self._locate = script(_LOCATE)
        self._relay = script(_RELAY)
        self._update_participant = script(_UPDATE_PARTICIPANT)
        self._add_invite = script(_ADD_INVITE)
        self._set_recording = script(_SET_RECORDING)
        self._add_waiting = script(_ADD_WAITING)
        self._remove_waiting = script(_REMOVE_WAITING)
        self._leave_waiting_rooms = script(_LEAVE_WAITING_ROOMS)
        self._admit = script(_ADMIT)
        self._remember_message = script(_REMEMBER_MESSAGE)
        self._create_breakout = script(_CREATE_BREAKOUT)
        self._assign_breakout = script(_ASSIGN_BREAKOUT)
        self._move_breakout = script(_MOVE_BREAKOUT)
        self._close_breakout = script(_CLOSE_BREAKOUT)
        self._set_stream = script(_SET_STREAM)
        # Scripts called while a batch is on its way go together in the next one.
        self._queue: list[tuple[object, list, asyncio.Future]] = []
        self._sender: asyncio.Task | None = None

    async def _run(self, script, *args):
        """Run a script, pipelined with the others called meanwhile: one round trip (and
        one command's worth of client work) for a burst of joins or relays, and no wait
        beyond the batch already on its way."""
        done = asyncio.get_running_loop().create_future()
        self._queue.append((script, [self._prefix, *args], done))
        if self._sender is None or self._sender.done():
            self._sender = asyncio.create_task(self._send_batches(), name="redis-live-batches")
        return await done

    async def _send_batches(self) -> None:
        while self._queue:
            batch, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
            try:
                results = await self._pipelined(batch)
            except Exception as exc:  # the connection failed: every caller hears why
                results = [exc] * len(batch)
            for (_, _, done), result in zip(batch, results, strict=True):
                if done.done():
                    continue
                if isinstance(result, BaseException):
                    done.set_exception(result)
                else:
                    done.set_result(result)

    async def _pipelined(self, batch) -> list:
        if len(batch) == 1:  # nothing to share: the plain call (it loads a missing script)
            script, args, _ = batch[0]
            try:
                return [await script(args=args)]
            except Exception as exc:
                return [exc]
        pipe = self._redis.pipeline(transaction=False)
        for script, args, _ in batch:
            pipe.evalsha(script.sha, 0, *args)
        results = await pipe.execute(raise_on_error=False)
        for i, result in enumerate(results):
            if isinstance(result, NoScriptError):  # Redis restarted: load it, run it again
                script, args, _ = batch[i]
                try:
                    results[i] = await script(args=args)
                except Exception as exc:
                    results[i] = exc
        return results

    @property
    def announces(self) -> bool:
        """Joins are announced by the join script itself (see the module docstring)."""
        return bool(self.channel)

    async def ping(self) -> bool:
        return await self._redis.ping()

    async def close(self) -> None:
        if self._sender is not None:
            await asyncio.gather(self._sender, return_exceptions=True)
        await self._redis.aclose()
        await self._redis.connection_pool.disconnect()

    # --- meetings ---------------------------------------------------------------------
    async def add_meeting(self, meeting: LiveMeeting) -> bool:
        fields = {
            "title": meeting.title,
            "admin": meeting.admin_token_hash.hex(),
            "owner": "" if meeting.owner_id is None else str(meeting.owner_id),
            "company": "" if meeting.company_id is None else str(meeting.company_id),
            "guest": "1" if meeting.guest else "0",
            "settings": orjson.dumps({**DEFAULT_SETTINGS, **meeting.settings}).decode(),
            "created_at": str(meeting.created_at),
            "started_at": repr(meeting.started_at),
            "peak": str(meeting.peak_participants),
        }
        if meeting.recording_host is not None:
            fields["rec"] = meeting.recording_host
        added = await self._run(
            self._add_meeting, meeting.meeting_id, orjson.dumps(fields), repr(time.time())
        )
        return bool(added)

    async def meeting(self, meeting_id: str) -> LiveMeeting | None:
        raw = await self._run(self._snapshot, meeting_id)
        return _meeting(orjson.loads(raw)) if raw else None

    async def meetings(self) -> list[LiveMeeting]:
        return [_meeting(orjson.loads(raw)) for raw in await self._run(self._all)]

    async def update_settings(self, meeting_id: str, changes: dict) -> LiveMeeting | None:
        body = {"settings": {k: v for k, v in changes.items() if k in DEFAULT_SETTINGS}}
        if "title" in changes:
            body["title"] = changes["title"]
        raw = await self._run(self._update_settings, meeting_id, orjson.dumps(body))
        return _meeting(orjson.loads(raw)) if raw else None

    async def begin_end(
        self, meeting_id: str, node: str, *, empty_since_before: float | None = None
    ) -> LiveMeeting | None:
        cutoff = "" if empty_since_before is None else repr(empty_since_before)
        raw = await self._run(self._begin_end, meeting_id, node, cutoff)
        return _meeting(orjson.loads(raw)) if raw else None

    async def finish_end(self, meeting_id: str) -> None:
        await self._run(self._finish_end, meeting_id)

    async def empty_before(self, cutoff: float) -> list[str]:
        return list(await self._run(self._empty_before, repr(float(cutoff))))

    async def endings_of(self, node: str) -> list[str]:
        return list(await self._run(self._endings_of, node))

    # --- participants -----------------------------------------------------------------
    async def join(
        self,
        meeting_id: str,
        request: JoinRequest,
        *,
        is_admin: bool = False,
        admit_sid: str | None = None,
        announce: Announcement | None = None,
    ) -> JoinOutcome:
        announcement = ""
        if announce is not None and self.channel:
            announcement = orjson.dumps(
                {
                    "channel": self.channel,
                    "host": HOST_ID,
                    "room": announce.room,
                    "rooms": list(announce.rooms),
                    "host_rooms": list(announce.host_rooms),
                    "joined": announce.joined,
                    "extra": orjson.dumps(announce.extra).decode()[1:-1],
                }
            )
        raw = await self._run(
            self._join,
            meeting_id,
            _participant_json(request.participant),
            "1" if is_admin else "0",
            admit_sid or "",
            request.invite_hash.hex() if request.invite_hash else "",
            request.resume_hash or "",
            repr(time.time()),
            announcement,
            request.admin_hash.hex() if request.admin_hash else "",
        )
        result = orjson.loads(raw)
        if result.get("refused"):
            return JoinOutcome(refused=result["refused"])
        return JoinOutcome(
            meeting=_meeting(result["meeting"]),
            participant=_participant(result["participant"]),
            invited=bool(result["invited"]),
            replaced=_participant(result["replaced"]) if result["replaced"] else None,
            announced=bool(result["announced"]),
        )

    async def leave(self, sid: str) -> tuple[LiveMeeting, Participant] | None:
        raw = await self._run(self._leave, sid, repr(time.time()))
        if not raw:
            return None
        left = orjson.loads(raw)
        return _meeting(left["meeting"]), _participant(left["participant"])

    async def reap_node(self, node: str) -> list[tuple[LiveMeeting, Participant]]:
        reaped = []
        for raw in await self._run(self._reap, node, repr(time.time())):
            left = orjson.loads(raw)
            reaped.append((_meeting(left["meeting"]), _participant(left["participant"])))
        return reaped

    async def locate(self, sid: str) -> tuple[LiveMeeting, Participant] | None:
        raw = await self._run(self._locate, sid)
        if not raw:
            return None
        found = orjson.loads(raw)
        return _meeting(found["meeting"]), _participant(found["participant"])

    async def route(self, sid: str, to: str) -> tuple[str, str | None] | None:
        found = await self._run(self._relay, sid, to, "", "", "", HOST_ID, "", "")
        if not found:
            return None
        return found[0], (found[1] if len(found) > 1 else None)

    async def relay(
        self, sid: str, to: str, *, event: str, field: str, body: bytes, node: str
    ) -> tuple[str, str | None, bool] | None:
        """One script: the route and, for a target on another process, the publish."""
        if not self.channel:
            return await super().relay(sid, to, event=event, field=field, body=body, node=node)
        found = await self._run(
            self._relay, sid, to, event, field, body, HOST_ID, node, self.channel
        )
        if not found:
            return None
        if len(found) == 1:
            return found[0], None, False
        return found[0], found[1], bool(found[2])

    async def update_participant(self, sid: str, **changes) -> Participant | None:
        check_changes(changes)
        body = {_CAMEL[k]: v for k, v in changes.items()}
        raw = await self._run(self._update_participant, sid, orjson.dumps(body))
        return _participant(raw) if raw else None

    # --- breakout rooms and live stream ------------------------------------------------
    async def create_breakout(
        self, meeting_id: str, rooms: list[dict]
    ) -> tuple[LiveMeeting, LiveMeeting] | None:
        body = orjson.dumps([{"id": r["id"], "name": r["name"]} for r in rooms])
        raw = await self._run(self._create_breakout, meeting_id, body)
        if not raw:
            return None
        found = orjson.loads(raw)
        return _meeting(found["before"]), _meeting(found["after"])

    async def assign_breakout(
        self, meeting_id: str, assignments: list[tuple[str, str]]
    ) -> BreakoutStep:
        body = orjson.dumps([list(pair) for pair in assignments])
        return _step(await self._run(self._assign_breakout, meeting_id, body))

    async def move_breakout(self, sid: str, room_id: str) -> BreakoutStep:
        return _step(await self._run(self._move_breakout, sid, room_id))

    async def close_breakout(self, meeting_id: str) -> LiveMeeting | None:
        raw = await self._run(self._close_breakout, meeting_id)
        return _meeting(orjson.loads(raw)) if raw else None

    async def set_stream(self, meeting_id: str, host_name: str | None) -> bool:
        on = host_name is not None
        changed = await self._run(self._set_stream, meeting_id, "1" if on else "0", host_name or "")
        return bool(changed)

    async def participant(self, meeting_id: str, participant_id: str) -> Participant | None:
        raw = await self._redis.hget(f"{self._prefix}m:{meeting_id}:p", participant_id)
        return _participant(raw) if raw else None

    # --- invites, waiting room, recording ---------------------------------------------
    async def add_invite(self, meeting_id: str, token_hash: bytes, name: str | None) -> bool:
        added = await self._run(self._add_invite, meeting_id, token_hash.hex(), orjson.dumps(name))
        return bool(added)

    async def set_recording(self, meeting_id: str, host_name: str | None) -> bool:
        on = host_name is not None
        done = await self._run(self._set_recording, meeting_id, "1" if on else "0", host_name or "")
        return bool(done)

    async def add_waiting(self, meeting_id: str, sid: str, name: str) -> int | None:
        count = await self._run(self._add_waiting, meeting_id, sid, name)
        return int(count) if count else None

    async def remove_waiting(self, meeting_id: str, sid: str) -> tuple[str, int] | None:
        found = await self._run(self._remove_waiting, meeting_id, sid)
        return (found[0], int(found[1])) if found else None

    async def leave_waiting_rooms(self, sid: str) -> list[tuple[str, int]]:
        return [(m, int(n)) for m, n in await self._run(self._leave_waiting_rooms, sid)]

    async def admit(self, meeting_id: str, sid: str) -> None:
        await self._run(self._admit, meeting_id, sid)

    # --- memory of endings and chat ---------------------------------------------------
    async def remember_ended(self, meeting_id: str) -> None:
        await self._redis.set(f"{self._prefix}ended:{meeting_id}", "1", ex=ENDED_TTL)

    async def was_ended(self, meeting_id: str) -> bool:
        return bool(await self._redis.exists(f"{self._prefix}ended:{meeting_id}"))

    async def remember_message(self, meeting_id: str, message_id: str) -> None:
        await self._run(
            self._remember_message,
            meeting_id,
            message_id,
            repr(time.time()),
            str(MAX_REMEMBERED_MESSAGES),
        )

    async def has_message(self, meeting_id: str, message_id: str) -> bool:
        score = await self._redis.zscore(f"{self._prefix}m:{meeting_id}:msg", message_id)
        return score is not None
