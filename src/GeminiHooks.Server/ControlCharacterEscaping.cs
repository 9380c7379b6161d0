using System.Globalization;
using System.Text;

namespace GeminiHooks.Server;

/// <summary>
/// Makes a formatted log line safe for a terminal: every control character but the line feed and tab (ESC, BEL,
/// carriage return, DEL, the C1 range, including the one-character CSI U+009B) is written as the six characters
/// <c>\uXXXX</c>. A client's value (a header, a key id, an error message) then cannot move the cursor, recolour the
/// screen or rewrite an earlier line. Inside a JSON string that text is JSON's own escape, so a log shipper reads back
/// the original value.
/// </summary>
static class ControlCharacterEscaping
{
    public static void AppendEscaped(StringBuilder target, StringBuilder formatted)
    {
        foreach (var chunk in formatted.GetChunks())
        {
            var span = chunk.Span;
            var start = 0;
            for (var i = 0; i < span.Length; i++)
            {
                var c = span[i];
                if (!char.IsControl(c) || c is '\n' or '\t')
                    continue;
                target.Append(span[start..i]);
                target.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                start = i + 1;
            }
            target.Append(span[start..]);
        }
    }
}
