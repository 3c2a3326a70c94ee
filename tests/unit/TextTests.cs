using System;
using System.Linq;
using System.Text;
using Xunit;

namespace ShmPS.Tests;

/// <summary>Lone surrogates do not survive as attribute data: test strings write them as {dcff}.</summary>
internal static class Lone
{
    public static string U(string text) => System.Text.RegularExpressions.Regex.Replace(text, "\\{(d[89a-f][0-9a-f]{2})\\}",
        m => ((char)Convert.ToInt32(m.Groups[1].Value, 16)).ToString());
}

public class NameBytesTests
{
    [Theory]
    [InlineData(new byte[] { 0x78, 0xff }, "x{dcff}")]
    [InlineData(new byte[] { 0x78, 0xef, 0xbf, 0xbd }, "x\ufffd")]
    [InlineData(new byte[] { 0xc3, 0xa9 }, "\u00e9")]
    [InlineData(new byte[] { 0xe2, 0x82 }, "{dce2}{dc82}")]              // a truncated sequence: each byte escaped
    [InlineData(new byte[] { 0xed, 0xa0, 0x80 }, "{dced}{dca0}{dc80}")]  // an encoded surrogate is not UTF-8
    [InlineData(new byte[] { 0xc0, 0xaf }, "{dcc0}{dcaf}")]              // an overlong '/'
    [InlineData(new byte[] { 0xf0, 0x9f, 0x98, 0x80, 0x80 }, "\U0001F600{dc80}")]
    public void DecodesAsPythonSurrogateEscape(byte[] bytes, string expected)
    {
        expected = Lone.U(expected);
        Assert.Equal(expected, NameBytes.Decode(bytes));
        Assert.Equal(bytes, NameBytes.Encode(expected));
    }

    [Fact]
    public void EveryByteStringComesBackExactly()
    {
        var random = new Random(18);
        for (int i = 0; i < 5000; i++)
        {
            byte[] bytes = new byte[random.Next(0, 12)];
            random.NextBytes(bytes);
            string name = NameBytes.Decode(bytes);
            Assert.Equal(bytes, NameBytes.Encode(name));
            Assert.Equal(bytes.Length, NameBytes.ByteCount(name));
        }
    }

    [Fact]
    public void TwoNamesThatDifferInBytesStayTwoStrings()
    {
        Assert.NotEqual(NameBytes.Decode(new byte[] { 0x78, 0xff }), NameBytes.Decode(new byte[] { 0x78, 0xef, 0xbf, 0xbd }));
    }

    [Theory]
    [InlineData("x{dc00}")]
    [InlineData("x{d800}")]
    [InlineData("{dfff}")]
    public void ALoneSurrogateThatIsNoByteStandsForNothing(string text)
    {
        text = Lone.U(text);
        Assert.Null(NameBytes.TryEncode(text));
        Assert.Equal(-1, NameBytes.ByteCount(text));
        Assert.NotNull(NameBytes.InvalidReason(text));
        Assert.Throws<ArgumentException>(() => NameBytes.Encode(text));
    }

    [Fact]
    public void NulTerminatedForLibc() => Assert.Equal(new byte[] { 0x2f, 0x78, 0xff, 0 }, NameBytes.TryEncode(Lone.U("/x{dcff}"), nulTerminated: true));
}

public class DisplayTextTests
{
    [Theory]
    [InlineData("/plain name-1.txt", "/plain name-1.txt")]
    [InlineData("\u001b]0;pwned\u0007", "\\e]0;pwned\\a")]
    [InlineData("a\rb\nc\td\0", "a\\rb\\nc\\td\\x00")]
    [InlineData("\u007f\u0001", "\\x7f\\x01")]
    [InlineData("\u009b2J", "\\u009b2J")]
    [InlineData("x{dcff}", "x\\xff")]
    [InlineData("x\ufffd", "x\ufffd")]
    [InlineData("abc\u202edef", "abc\\u202edef")]
    [InlineData("\u200b\u200c\u200d\u200e\u200f", "\\u200b\\u200c\\u200d\\u200e\\u200f")]
    [InlineData("\u202a\u202b\u202c\u202d", "\\u202a\\u202b\\u202c\\u202d")]
    [InlineData("\u2066\u2067\u2068\u2069\ufeff", "\\u2066\\u2067\\u2068\\u2069\\ufeff")]
    [InlineData("\u2028\u2029", "\\u2028\\u2029")]
    [InlineData("\U000e0041", "\\U000e0041")]                   // a tag character, invisible
    [InlineData("\U0001F600 ok", "\U0001F600 ok")]
    [InlineData("{d800}x", "\\ud800x")]
    [InlineData("back\\slash", "back\\\\slash")]                  // unambiguous: a literal "\e" is not ESC
    [InlineData("caf\u00e9 \u65e5\u672c", "caf\u00e9 \u65e5\u672c")]
    public void EscapesWhatATerminalWouldActOnOrHide(string raw, string shown)
    {
        raw = Lone.U(raw);
        Assert.Equal(shown, DisplayText.Escape(raw));
        Assert.DoesNotMatch("[\\x00-\\x1f\\x7f-\\x9f\\u200b-\\u200f\\u202a-\\u202e\\u2066-\\u2069\\ufeff]", DisplayText.Escape(raw));
    }

    [Fact]
    public void NullAndEmpty()
    {
        Assert.Equal("", DisplayText.Escape(null));
        Assert.Equal("", DisplayText.Escape(""));
        Assert.False(DisplayText.NeedsEscape("back\\slash"));
        Assert.True(DisplayText.NeedsEscape(Lone.U("x{dcff}")));
    }

    [Theory]
    [InlineData("\u001b[2J", "`e[2J")]
    [InlineData("a$b`c\"d", "a`$b``c`\"d")]
    [InlineData("\u201cq\u201d", "`\u201cq`\u201d")]
    [InlineData("x{dcff}\u202e\r\n\t", "x`u{dcff}`u{202e}`r`n`t")]
    [InlineData("\u0001\u009b", "`u{0001}`u{009b}")]
    [InlineData("\U000e0041", "`u{e0041}")]
    public void PowerShellDoubleQuotedEscapes(string raw, string typed)
    {
        raw = Lone.U(raw);
        string text = DisplayText.ToPowerShellDoubleQuoted(raw);
        Assert.Equal(typed, text);
        // What PowerShell's parser makes of it, typed back in double quotes: the exact text.
        var ast = System.Management.Automation.Language.Parser.ParseInput("\"" + text + "\"", out _, out var errors);
        Assert.Empty(errors);
        var value = ast.Find(a => a is System.Management.Automation.Language.StringConstantExpressionAst, true);
        Assert.Equal(raw, ((System.Management.Automation.Language.StringConstantExpressionAst)value!).Value);
    }
}
