using System.Globalization;
using System.Text;
using PhiSharp.Tokenizers;

namespace PhiSharp.Generation.Tools;

public enum ToolCallUpdateKind
{
    /// <summary>Reply text.</summary>
    Content,
    /// <summary>A call begins: its <see cref="ToolCallUpdate.Id"/> and its name as the text.</summary>
    Start,
    /// <summary>The next piece of a call's arguments (JSON text).</summary>
    Arguments,
    /// <summary>A call's arguments are complete.</summary>
    End,
}

/// <summary>One step of a reply read by <see cref="ToolCallReader"/>; <see cref="Index"/> numbers the calls from 0.</summary>
public readonly record struct ToolCallUpdate(ToolCallUpdateKind Kind, int Index, string Text, string? Id = null);

/// <summary>
/// Reads a reply as it streams: text, and calls as OpenAI streams them (a call's id and name, then its arguments piece
/// by piece, so argument text is passed on as it is generated). The Phi-4-mini syntax is text until
/// <c>&lt;|tool_call|&gt;</c> or <c>functools[</c> (a variant the model writes), then a call list (or one call), then
/// text again; a call's arguments may be named <c>parameters</c>. The generic syntax is one JSON object whose
/// <c>tool_calls</c> are calls and whose <c>response</c> is text. Constrained output is always one of these; other
/// text stays text.
/// </summary>
public sealed class ToolCallReader
{
    enum Role { None, Reply, Calls, Call }
    enum StringRole { Key, Name, Response, Other }

    sealed class Frame(bool isObject, Role role)
    {
        public bool IsObject { get; } = isObject;
        public Role Role { get; } = role;
        public string? Key { get; set; }
        public bool ExpectKey { get; set; } = isObject;
    }

    static readonly string[] Markers = [ToolCallFormat.StartToken, "functools[", ToolCallFormat.EndToken];

    readonly ToolCallSyntax _syntax;
    readonly List<ToolCallUpdate> _updates = [];
    readonly StringBuilder _pending = new();     // text mode: text that may begin a marker
    readonly StringBuilder _raw = new();          // generic syntax: everything, for a reply that is not JSON
    readonly List<Frame> _stack = [];
    bool _json, _sawReply;

    // The string or scalar being read.
    bool _inString, _scalar;
    StringRole _textRole;
    int _escape;                                  // 0 none, 1 after '\', 2-5 reading \u's hex digits
    int _hex;
    readonly StringBuilder _decoded = new();

    // The call being read.
    bool _capturing, _started;
    int _captureDepth, _index = -1;
    readonly StringBuilder _arguments = new();

    internal ToolCallReader(ToolCallSyntax syntax)
    {
        _syntax = syntax;
        _json = syntax == ToolCallSyntax.Json;
    }

    /// <summary>Reads the next piece of output; returns what it completes.</summary>
    public IReadOnlyList<ToolCallUpdate> Push(string text)
    {
        _updates.Clear();
        if (_syntax == ToolCallSyntax.Json) _raw.Append(text);
        foreach (char c in text)
        {
            if (_json) Step(c);
            else if (_syntax == ToolCallSyntax.Json) break;
            else _pending.Append(c);
            if (!_json && _pending.Length > 0 && c is '>' or '[') FindMarker();
        }
        if (!_json && _syntax == ToolCallSyntax.ToolCallTokens) EmitText(final: false);
        FlushPieces(final: false);
        return [.. _updates];
    }

    /// <summary>Ends the reply; returns what was held back.</summary>
    public IReadOnlyList<ToolCallUpdate> Finish()
    {
        _updates.Clear();
        if (_scalar) { _scalar = false; ValueEnded(); }
        if (!_json && _syntax == ToolCallSyntax.ToolCallTokens) EmitText(final: true);
        FlushPieces(final: true);
        if (_syntax == ToolCallSyntax.Json && !_sawReply && _raw.ToString().Trim() is { Length: > 0 } raw)
            _updates.Add(new(ToolCallUpdateKind.Content, 0, raw));
        return [.. _updates];
    }

    /// <summary>The text and the calls that <paramref name="updates"/> (a whole reply) spell.</summary>
    public static (string Content, IReadOnlyList<ChatToolCall> Calls) Collect(IEnumerable<ToolCallUpdate> updates)
    {
        var content = new StringBuilder();
        var calls = new List<(string Id, string Name, StringBuilder Arguments)>();
        foreach (var u in updates)
            switch (u.Kind)
            {
                case ToolCallUpdateKind.Content: content.Append(u.Text); break;
                case ToolCallUpdateKind.Start: calls.Add((u.Id!, u.Text, new StringBuilder())); break;
                case ToolCallUpdateKind.Arguments: calls[u.Index].Arguments.Append(u.Text); break;
            }
        return (content.ToString(), calls.Select(c => new ChatToolCall(c.Id, c.Name, c.Arguments.Length == 0 ? "{}" : c.Arguments.ToString())).ToList());
    }

    void FindMarker()
    {
        string pending = _pending.ToString();
        foreach (string marker in Markers)
        {
            int at = pending.IndexOf(marker, StringComparison.Ordinal);
            if (at < 0) continue;
            if (at > 0) _updates.Add(new(ToolCallUpdateKind.Content, 0, pending[..at]));
            _pending.Clear();
            if (marker == ToolCallFormat.EndToken) return;
            _json = true;
            if (marker[^1] == '[') Step('[');
            return;
        }
    }

    /// <summary>Passes on the text that cannot be the start of a marker (all of it at the end).</summary>
    void EmitText(bool final)
    {
        int keep = 0;
        if (!final)
            for (int n = Math.Min(_pending.Length, 13); n > 0 && keep == 0; n--)
                foreach (string marker in Markers)
                    if (marker.Length > n && EndsWith(_pending, marker.AsSpan(0, n))) { keep = n; break; }
        if (_pending.Length - keep > 0) _updates.Add(new(ToolCallUpdateKind.Content, 0, _pending.ToString(0, _pending.Length - keep)));
        _pending.Remove(0, _pending.Length - keep);
    }

    static bool EndsWith(StringBuilder sb, ReadOnlySpan<char> suffix)
    {
        for (int i = 0; i < suffix.Length; i++)
            if (sb[sb.Length - suffix.Length + i] != suffix[i]) return false;
        return true;
    }

    /// <summary>Hands on the arguments and reply text read so far (a lone high surrogate waits for its pair).</summary>
    void FlushPieces(bool final)
    {
        if (_started && _arguments.Length > 0)
        {
            _updates.Add(new(ToolCallUpdateKind.Arguments, _index, _arguments.ToString()));
            _arguments.Clear();
        }
        if (_inString && _textRole == StringRole.Response && _decoded.Length > 0)
        {
            int n = !final && char.IsHighSurrogate(_decoded[^1]) ? _decoded.Length - 1 : _decoded.Length;
            if (n > 0) _updates.Add(new(ToolCallUpdateKind.Content, 0, _decoded.ToString(0, n)));
            _decoded.Remove(0, n);
        }
    }

    void Step(char c)
    {
        if (_inString) { StringChar(c); return; }
        if (_scalar)
        {
            if (char.IsAsciiLetterOrDigit(c) || c is '-' or '+' or '.') { Capture(c); return; }
            _scalar = false;
            ValueEnded();
        }
        if (c is ' ' or '\t' or '\n' or '\r') { Capture(c); return; }
        var top = _stack.Count > 0 ? _stack[^1] : null;
        if (top is null && _syntax == ToolCallSyntax.ToolCallTokens && c is not ('[' or '{'))
        {
            // Not a call list after all: back to text.
            _json = false;
            _pending.Append(c);
            return;
        }
        if (top is null && _syntax == ToolCallSyntax.Json && (c != '{' || _sawReply))
        {
            // Not a generic reply (unconstrained output): Finish gives it as text. After the reply: ignored.
            _json = _sawReply;
            return;
        }
        switch (c)
        {
            case '{' or '[':
                var role = BeginValue(c);
                _stack.Add(new Frame(c == '{', role));
                if (role == Role.Call) { _started = false; _arguments.Clear(); }
                break;
            case '}' or ']':
                Capture(c);
                if (top is null) return;
                _stack.RemoveAt(_stack.Count - 1);
                if (top.Role == Role.Call && _started)
                {
                    FlushPieces(final: false);
                    _updates.Add(new(ToolCallUpdateKind.End, _index, ""));
                    _started = false;
                }
                ValueEnded();
                break;
            case ':':
                Capture(c);
                if (top is not null) top.ExpectKey = false;
                break;
            case ',':
                Capture(c);
                if (top is { IsObject: true }) { top.ExpectKey = true; top.Key = null; }
                break;
            case '"':
                if (top is { IsObject: true, ExpectKey: true })
                {
                    Capture(c);
                    StartString(StringRole.Key);
                }
                else
                {
                    BeginValue(c);
                    StartString(top?.Role == Role.Call && top.Key == "name" ? StringRole.Name
                        : top?.Role == Role.Reply && top.Key == "response" ? StringRole.Response : StringRole.Other);
                }
                break;
            default:
                BeginValue(c);
                _scalar = true;
                break;
        }
    }

    /// <summary>What the value starting with <paramref name="c"/> is, from where it stands; starts capturing arguments.</summary>
    Role BeginValue(char c)
    {
        var top = _stack.Count > 0 ? _stack[^1] : null;
        if (top?.Role == Role.Call && top.Key is "arguments" or "parameters" && !_capturing)
        {
            _capturing = true;
            _captureDepth = _stack.Count;
        }
        Capture(c);
        if (top is null)
        {
            _sawReply = true;
            return _syntax == ToolCallSyntax.Json ? Role.Reply : c == '[' ? Role.Calls : Role.Call;
        }
        if (top.Role == Role.Reply && top.Key == "tool_calls" && c == '[') return Role.Calls;
        if (top.Role == Role.Calls && c == '{') return Role.Call;
        return Role.None;
    }

    void ValueEnded()
    {
        if (_capturing && _stack.Count == _captureDepth) _capturing = false;
        if (_stack.Count == 0 && _syntax == ToolCallSyntax.ToolCallTokens) _json = false;
    }

    void Capture(char c)
    {
        if (_capturing) _arguments.Append(c);
    }

    void StartString(StringRole role)
    {
        _inString = true;
        _textRole = role;
        _escape = 0;
        _decoded.Clear();
    }

    void StringChar(char c)
    {
        Capture(c);
        if (_escape == 1)
        {
            if (c == 'u') { _escape = 2; _hex = 0; return; }
            _decoded.Append(c switch { 'n' => '\n', 't' => '\t', 'r' => '\r', 'b' => '\b', 'f' => '\f', _ => c });
            _escape = 0;
        }
        else if (_escape >= 2)
        {
            _hex = _hex * 16 + (int.TryParse(c.ToString(), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out int digit) ? digit : 0);
            if (++_escape == 6) { _decoded.Append((char)_hex); _escape = 0; }
        }
        else if (c == '\\') _escape = 1;
        else if (c == '"') EndString();
        else _decoded.Append(c);
    }

    void EndString()
    {
        _inString = false;
        var top = _stack.Count > 0 ? _stack[^1] : null;
        switch (_textRole)
        {
            case StringRole.Key:
                if (top is not null) top.Key = _decoded.ToString();
                break;
            case StringRole.Name when !_started:
                _started = true;
                _index++;
                _updates.Add(new(ToolCallUpdateKind.Start, _index, _decoded.ToString(), "call_" + Guid.NewGuid().ToString("N")[..24]));
                break;
            case StringRole.Response when _decoded.Length > 0:
                _updates.Add(new(ToolCallUpdateKind.Content, 0, _decoded.ToString()));
                break;
        }
        _decoded.Clear();
        ValueEnded();
    }
}
