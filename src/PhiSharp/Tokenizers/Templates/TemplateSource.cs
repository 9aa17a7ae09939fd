using System.Text;

namespace PhiSharp.Tokenizers.Templates;

/// <summary>
/// A template's text after the preprocessing that transformers and @huggingface/jinja apply before lexing: one trailing
/// newline dropped, <c>trim_blocks</c> (the newline after a block or comment tag removed), <c>lstrip_blocks</c> (spaces
/// and tabs before a block or comment tag at the start of a line removed) and the transformers-only
/// <c>{% generation %}</c> / <c>{% endgeneration %}</c> markers removed. Each character keeps the offset it had in
/// the original text, so errors point at the template as its author wrote it.
/// </summary>
internal sealed class TemplateSource
{
    readonly string _original;
    readonly int[] _origin;

    public string Name { get; }
    public string Text { get; }

    TemplateSource(string name, string original, string text, int[] origin)
    {
        Name = name;
        _original = original;
        Text = text;
        _origin = origin;
    }

    public static TemplateSource Preprocess(string name, string template)
    {
        var chars = new List<(char C, int At)>(template.Length);
        int length = template.EndsWith('\n') ? template.Length - 1 : template.Length;
        for (int i = 0; i < length; i++) chars.Add((template[i], i));
        chars = LstripBlocks(chars);
        chars = TrimBlocks(chars);
        chars = RemoveGenerationMarkers(chars);
        var text = new StringBuilder(chars.Count);
        foreach (var (c, _) in chars) text.Append(c);
        return new TemplateSource(name, template, text.ToString(), chars.Select(x => x.At).ToArray());
    }

    /// <summary>The error for the character at <paramref name="offset"/> of <see cref="Text"/>.</summary>
    public TemplateException Error(int offset, string message)
    {
        int at = _origin.Length == 0 ? 0 : _origin[Math.Clamp(offset, 0, _origin.Length - 1)];
        if (offset >= _origin.Length) at = _original.Length;
        int line = 1, column = 1;
        for (int i = 0; i < at && i < _original.Length; i++)
        {
            if (_original[i] == '\n') { line++; column = 1; }
            else column++;
        }
        return new TemplateException(Name, message, line, column);
    }

    static bool IsLineBreak(char c) => c is '\n' or '\r' or '\u2028' or '\u2029';

    static bool OpensBlock(List<(char C, int At)> s, int i) =>
        i + 1 < s.Count && s[i].C == '{' && s[i + 1].C is '#' or '%' or '-';

    // /^[ \t]*({[#%-])/gm
    static List<(char C, int At)> LstripBlocks(List<(char C, int At)> s)
    {
        var result = new List<(char C, int At)>(s.Count);
        int i = 0;
        while (i < s.Count)
        {
            if (i == 0 || IsLineBreak(s[i - 1].C))
            {
                int j = i;
                while (j < s.Count && s[j].C is ' ' or '\t') j++;
                if (OpensBlock(s, j)) i = j;
            }
            result.Add(s[i]);
            i++;
        }
        return result;
    }

    // /([#%-]})\n/g
    static List<(char C, int At)> TrimBlocks(List<(char C, int At)> s)
    {
        var result = new List<(char C, int At)>(s.Count);
        for (int i = 0; i < s.Count; i++)
        {
            result.Add(s[i]);
            if (s[i].C is '#' or '%' or '-' && i + 2 < s.Count && s[i + 1].C == '}' && s[i + 2].C == '\n')
            {
                result.Add(s[i + 1]);
                i += 2;
            }
        }
        return result;
    }

    // /{%(-?)\s*(?:end)?generation\s*(-?)%}(\s*)/gs: the marker goes; "-" strips whitespace on its side as usual.
    static List<(char C, int At)> RemoveGenerationMarkers(List<(char C, int At)> s)
    {
        var result = new List<(char C, int At)>(s.Count);
        int i = 0;
        while (i < s.Count)
        {
            if (TryMatchGenerationMarker(s, i, out int end, out bool stripBefore, out bool stripAfter))
            {
                if (stripBefore)
                    while (result.Count > 0 && TemplateText.IsWhitespace(result[^1].C)) result.RemoveAt(result.Count - 1);
                i = end;
                if (stripAfter)
                    while (i < s.Count && TemplateText.IsWhitespace(s[i].C)) i++;
                continue;
            }
            result.Add(s[i]);
            i++;
        }
        return result;
    }

    static bool TryMatchGenerationMarker(List<(char C, int At)> s, int i, out int end, out bool stripBefore, out bool stripAfter)
    {
        end = i;
        stripBefore = stripAfter = false;
        if (i + 1 >= s.Count || s[i].C != '{' || s[i + 1].C != '%') return false;
        int j = i + 2;
        if (j < s.Count && s[j].C == '-') { stripBefore = true; j++; }
        while (j < s.Count && char.IsWhiteSpace(s[j].C)) j++;
        if (Matches(s, j, "end")) j += 3;
        if (!Matches(s, j, "generation")) return false;
        j += "generation".Length;
        while (j < s.Count && char.IsWhiteSpace(s[j].C)) j++;
        if (j < s.Count && s[j].C == '-') { stripAfter = true; j++; }
        if (!Matches(s, j, "%}")) return false;
        end = j + 2;
        return true;
    }

    static bool Matches(List<(char C, int At)> s, int i, string word)
    {
        if (i + word.Length > s.Count) return false;
        for (int k = 0; k < word.Length; k++)
            if (s[i + k].C != word[k]) return false;
        return true;
    }
}
