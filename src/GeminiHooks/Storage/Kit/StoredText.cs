using System.Text;

namespace GeminiHooks.Storage.Kit;

/// <summary>
/// Text columns hold what both databases can represent. PostgreSQL's <c>text</c> cannot hold U+0000, and neither
/// database can store half of a surrogate pair as UTF-8; a delivery's <c>type</c> (read from a JSON escape such as
/// <c>\u0000</c> or <c>\ud800</c>) or a handler's error message may contain either. Such characters are stored as
/// U+FFFD, the Unicode replacement character, so such a delivery is stored like any other; the exact bytes that were
/// verified are kept in the body, which is binary.
/// </summary>
public static class StoredText
{
    const char Replacement = '\uFFFD';

    /// <summary>The value with U+0000 and unpaired surrogates replaced by U+FFFD; the same instance when there are none.</summary>
    public static string Representable(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var first = FirstUnrepresentable(value);
        if (first < 0)
            return value;
        var builder = new StringBuilder(value.Length);
        builder.Append(value, 0, first);
        for (var i = first; i < value.Length; i++)
        {
            var c = value[i];
            if (c == '\0')
                builder.Append(Replacement);
            else if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
                builder.Append(c).Append(value[++i]);
            else if (char.IsSurrogate(c))
                builder.Append(Replacement);
            else
                builder.Append(c);
        }
        return builder.ToString();
    }

    /// <summary>True when the value holds neither U+0000 nor an unpaired surrogate.</summary>
    public static bool IsRepresentable(string value) => FirstUnrepresentable(value) < 0;

    static int FirstUnrepresentable(string value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c == '\0')
                return i;
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
                i++;
            else if (char.IsSurrogate(c))
                return i;
        }
        return -1;
    }
}
