using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Management.Automation;
using System.Text;

namespace ShmPS;

/// <summary>
/// Reads C declarations (structs, unions, enums, typedefs) and lays them out as gcc does for Linux LP64
/// (x86_64 and aarch64, which agree for every type accepted here). What it cannot lay out exactly
/// (bit-fields, flexible and variable-length arrays, unknown types, #pragma pack) is refused with an
/// InvalidLayout error naming the token and its line, never guessed.
/// </summary>
internal sealed class CDeclarationParser
{
    /// <summary>A record larger than this is refused: one record must fit in one array.</summary>
    public const long MaxSize = int.MaxValue;

    private readonly List<Token> _tokens;
    private int _pos;
    private readonly Dictionary<string, CType> _typedefs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, CType> _tags = new(StringComparer.Ordinal); // "struct x", "union x", "enum x"
    private readonly Dictionary<string, long> _constants = new(StringComparer.Ordinal); // enumerators and #defines
    private readonly List<(string Name, string? Alias, SharedMemoryLayout Layout)> _records = new();

    private CDeclarationParser(string text) => _tokens = Tokenize(text, _constants);

    /// <summary>Lays out <paramref name="text"/> and returns its record called <paramref name="name"/>, or the last one defined.</summary>
    public static SharedMemoryLayout Parse(string text, string? name = null)
    {
        var parser = new CDeclarationParser(text);
        parser.ParseAll();
        return parser.Find(name);
    }

    /// <summary>Every struct and union defined, named by tag and typedef, in order.</summary>
    public static IReadOnlyList<SharedMemoryLayout> ParseAllRecords(string text)
    {
        var parser = new CDeclarationParser(text);
        parser.ParseAll();
        return parser._records.Select(r => r.Layout).Distinct().ToArray();
    }

    private SharedMemoryLayout Find(string? name)
    {
        if (_records.Count == 0)
        {
            throw Error("the declarations define no struct or union", null);
        }
        if (string.IsNullOrEmpty(name))
        {
            return _records[^1].Layout;
        }
        string wanted = name.Trim();
        foreach (var (tag, alias, layout) in Enumerable.Reverse(_records))
        {
            if (tag == wanted || alias == wanted || (tag.Split(' ').Last() == wanted && tag.Contains(' ')))
            {
                return layout;
            }
        }
        throw ErrorHelper.LayoutNotDefined(wanted, name, _records.Select(r => r.Alias ?? r.Name).Distinct());
    }

    #region Tokens

    private readonly record struct Token(string Text, int Line, bool IsNumber = false, bool IsIdentifier = false)
    {
        public override string ToString() => Text;
    }

    private static List<Token> Tokenize(string text, Dictionary<string, long> constants)
    {
        var tokens = new List<Token>();
        int line = 1;
        int i = 0;
        bool lineStart = true;
        while (i < text.Length)
        {
            char c = text[i];
            if (c == '\n')
            {
                line++;
                i++;
                lineStart = true;
                continue;
            }
            if (char.IsWhiteSpace(c))
            {
                i++;
                continue;
            }
            if (c == '/' && i + 1 < text.Length && text[i + 1] == '/')
            {
                while (i < text.Length && text[i] != '\n')
                {
                    i++;
                }
                continue;
            }
            if (c == '/' && i + 1 < text.Length && text[i + 1] == '*')
            {
                int end = text.IndexOf("*/", i + 2, StringComparison.Ordinal);
                if (end < 0)
                {
                    throw Error("a comment starting with '/*' never ends", new Token("/*", line));
                }
                line += text.AsSpan(i, end - i).Count('\n');
                i = end + 2;
                continue;
            }
            if (c == '#' && lineStart)
            {
                i = Directive(text, i, ref line, tokens, constants);
                continue;
            }
            lineStart = false;
            int start = i;
            if (char.IsLetter(c) || c == '_')
            {
                while (i < text.Length && (char.IsLetterOrDigit(text[i]) || text[i] == '_'))
                {
                    i++;
                }
                tokens.Add(new Token(text[start..i], line, IsIdentifier: true));
            }
            else if (char.IsDigit(c))
            {
                while (i < text.Length && (char.IsLetterOrDigit(text[i]) || text[i] == '.'))
                {
                    i++;
                }
                tokens.Add(new Token(text[start..i], line, IsNumber: true));
            }
            else if (i + 1 < text.Length && (text.Substring(i, 2) is "<<" or ">>"))
            {
                tokens.Add(new Token(text.Substring(i, 2), line));
                i += 2;
            }
            else if ("{}[]();,*:=+-/%|&^~<>?!.".Contains(c))
            {
                tokens.Add(new Token(c.ToString(), line));
                i++;
            }
            else
            {
                throw Error($"'{ErrorHelper.Printable(c.ToString())}' is not C", new Token(c.ToString(), line));
            }
        }
        tokens.Add(new Token("", line)); // the end
        return tokens;
    }

    /// <summary>
    /// A preprocessor line: #include and #pragma once are ignored (the standard types are known), #define of a
    /// name to an integer is a constant for array sizes; anything else (#pragma pack, #if) would change the
    /// layout in ways not followed here and is refused.
    /// </summary>
    private static int Directive(string text, int i, ref int line, List<Token> tokens, Dictionary<string, long> constants)
    {
        int end = i;
        var body = new StringBuilder();
        int startLine = line;
        while (end < text.Length && text[end] != '\n')
        {
            if (text[end] == '\\' && end + 1 < text.Length && text[end + 1] == '\n')
            {
                line++;
                end += 2;
                continue;
            }
            body.Append(text[end++]);
        }
        string directive = body.ToString().TrimStart('#').Trim();
        string word = new(directive.TakeWhile(char.IsLetter).ToArray());
        if (word is "include" || directive is "pragma once" || word is "endif")
        {
            return end;
        }
        if (word == "define")
        {
            string rest = directive["define".Length..].Trim();
            string name = new(rest.TakeWhile(ch => char.IsLetterOrDigit(ch) || ch == '_').ToArray());
            string value = rest[name.Length..];
            int comment = value.IndexOf("//", StringComparison.Ordinal);
            value = (comment >= 0 ? value[..comment] : value).Trim();
            if (name.Length > 0 && value.Length == 0)
            {
                return end; // #define NAME: a header guard
            }
            if (name.Length > 0 && !rest[name.Length..].StartsWith('('))
            {
                var defineTokens = Tokenize(value, constants);
                var p = new CDeclarationParser(defineTokens, constants);
                if (defineTokens.Count > 1 && p.TryConstant(out long v) && p.AtEnd)
                {
                    constants[name] = v;
                    return end;
                }
            }
            throw Error($"'#define {ErrorHelper.Printable(rest)}' is not a name for an integer constant, the only macro that is followed", new Token("#define", startLine));
        }
        throw Error($"the directive '#{ErrorHelper.Printable(directive)}' is not followed (only #include, #define of a number and #pragma once are)",
            new Token("#" + word, startLine));
    }

    private CDeclarationParser(List<Token> tokens, Dictionary<string, long> constants)
    {
        _tokens = tokens;
        _constants = constants;
    }

    private bool AtEnd => _tokens[_pos].Text.Length == 0;

    private Token Peek(int ahead = 0) => _tokens[Math.Min(_pos + ahead, _tokens.Count - 1)];

    private Token Next() => _tokens[Math.Min(_pos++, _tokens.Count - 1)];

    private bool Accept(string text)
    {
        if (Peek().Text == text && Peek().Text.Length > 0)
        {
            _pos++;
            return true;
        }
        return false;
    }

    private Token Expect(string text, string what)
    {
        Token t = Peek();
        if (t.Text != text)
        {
            throw Error($"expected '{text}' {what}, found {Describe(t)}", t);
        }
        return Next();
    }

    private static string Describe(Token t) => t.Text.Length == 0 ? "the end of the declarations" : $"'{ErrorHelper.Printable(t.Text)}'";

    private static Exception Error(string message, Token? at) =>
        ErrorHelper.InvalidLayout(at is Token t ? $"line {t.Line}: {message}" : message, at?.Text);

    #endregion

    #region Declarations

    private void ParseAll()
    {
        while (!AtEnd)
        {
            if (Accept(";"))
            {
                continue;
            }
            if (Peek().Text is "_Static_assert" or "static_assert")
            {
                SkipBalancedAfter(Next());
                Expect(";", "after a static assertion");
                continue;
            }
            bool isTypedef = false;
            Specifiers spec = ParseSpecifiers(ref isTypedef, allowAlignas: false);
            if (Accept(";"))
            {
                if (isTypedef)
                {
                    throw Error("typedef names nothing", _tokens[_pos - 1]);
                }
                continue; // struct x { ... }; enum e { ... };
            }
            do
            {
                Declarator d = ParseDeclarator(spec.Type);
                if (isTypedef)
                {
                    int? align = d.Aligned ?? spec.TypedefAligned;
                    if (d.Packed || spec.PackedOnDeclaration)
                    {
                        throw Error("__attribute__((packed)) on a typedef name is not followed; put it on the struct", d.NameToken);
                    }
                    // aligned() on a typedef sets its alignment, up or down (gcc).
                    CType type = d.Type.IsArray
                        ? (align is int al ? d.Type.Renamed(d.Type.Name, al) : d.Type)
                        : d.Type.Renamed(d.Name, align ?? d.Type.Alignment);
                    _typedefs[d.Name] = type;
                    if (spec.DefinedRecord is SharedMemoryLayout record && d.Type.Record == record && !d.Type.IsArray)
                    {
                        if (record.Name is "struct" or "union")
                        {
                            record.Name = d.Name; // typedef struct { ... } name;
                        }
                        _records.Add((record.Name, d.Name, record));
                    }
                }
                else
                {
                    throw Error($"'{d.Name}' declares a variable; give the type (struct {d.Name}_t {{ ... }};) instead", d.NameToken);
                }
            }
            while (Accept(","));
            Expect(";", "at the end of a declaration");
        }
    }

    private sealed class Specifiers
    {
        public CType Type = null!;
        public int? Alignas;
        public int? TypedefAligned;
        public bool PackedOnDeclaration;
        public SharedMemoryLayout? DefinedRecord;
        public bool AnonymousRecord;
    }

    private static readonly HashSet<string> s_qualifiers = new(StringComparer.Ordinal)
    {
        "const", "volatile", "restrict", "__restrict", "__restrict__", "__const", "__volatile__", "__extension__", "_Atomic",
    };

    private static readonly HashSet<string> s_basicWords = new(StringComparer.Ordinal)
    {
        "signed", "unsigned", "short", "long", "int", "char", "float", "double", "_Bool", "bool", "void", "__signed__",
    };

    private Specifiers ParseSpecifiers(ref bool isTypedef, bool allowAlignas)
    {
        var spec = new Specifiers();
        var words = new List<Token>();
        CType? type = null;
        Token first = Peek();
        while (true)
        {
            Token t = Peek();
            if (t.Text == "typedef" && !allowAlignas)
            {
                Next();
                isTypedef = true;
            }
            else if (s_qualifiers.Contains(t.Text))
            {
                Next();
                if (t.Text == "_Atomic" && Peek().Text == "(")
                {
                    throw Error("_Atomic(type) is not followed: write _Atomic before a scalar type", t);
                }
            }
            else if (t.Text is "_Alignas" or "alignas")
            {
                if (!allowAlignas)
                {
                    throw Error($"{t.Text} applies to struct members", t);
                }
                Next();
                int a = ParseAlignas(t);
                spec.Alignas = Math.Max(spec.Alignas ?? 0, a);
            }
            else if (t.Text is "__attribute__" or "__attribute")
            {
                var attr = ParseAttributes();
                spec.PackedOnDeclaration |= attr.Packed;
                if (attr.Aligned is int al)
                {
                    spec.TypedefAligned = Math.Max(spec.TypedefAligned ?? 0, al);
                }
            }
            else if (t.Text is "static" or "extern" or "register" or "inline" or "auto" or "_Thread_local" or "__thread")
            {
                throw Error($"'{t.Text}' is a storage class, not part of a layout", t);
            }
            else if (type is null && words.Count == 0 && t.Text is "struct" or "union")
            {
                Next();
                type = ParseRecord(t.Text == "union", spec);
            }
            else if (type is null && words.Count == 0 && t.Text == "enum")
            {
                Next();
                type = ParseEnum();
            }
            else if (type is null && s_basicWords.Contains(t.Text))
            {
                words.Add(Next());
            }
            else if (type is null && words.Count == 0 && t.IsIdentifier && TryKnownTypeName(t.Text, out CType? named))
            {
                Next();
                type = named;
            }
            else
            {
                break;
            }
        }
        if (words.Count > 0)
        {
            type = BasicType(words);
        }
        if (type is null)
        {
            Token t = Peek();
            throw t.IsIdentifier && t.Text != "typedef"
                ? Error($"unknown type '{t.Text}' (declare it first with a typedef, struct or enum)", t)
                : Error($"expected a type, found {Describe(t)}", t.Text.Length == 0 ? first : t);
        }
        spec.Type = type;
        return spec;
    }

    private bool TryKnownTypeName(string name, out CType? type)
    {
        if (_typedefs.TryGetValue(name, out type))
        {
            return true;
        }
        return StandardTypes.TryGetValue(name, out type);
    }

    /// <summary>The typedefs of stdint.h, stddef.h, sys/types.h and stdbool.h that are the same on x86_64 and aarch64 glibc.</summary>
    private static readonly Dictionary<string, CType> StandardTypes = BuildStandardTypes();

    private static Dictionary<string, CType> BuildStandardTypes()
    {
        var t = new Dictionary<string, CType>(StringComparer.Ordinal);
        void Add(ScalarKind kind, int size, params string[] names)
        {
            foreach (string n in names)
            {
                t[n] = CType.ScalarType(n, kind, size);
            }
        }
        Add(ScalarKind.Int8, 1, "int8_t", "int_least8_t", "int_fast8_t", "__int8_t", "__s8", "s8");
        Add(ScalarKind.UInt8, 1, "uint8_t", "uint_least8_t", "uint_fast8_t", "__uint8_t", "__u8", "u8", "u_char", "u_int8_t");
        Add(ScalarKind.Int16, 2, "int16_t", "int_least16_t", "__int16_t", "__s16", "s16");
        Add(ScalarKind.UInt16, 2, "uint16_t", "uint_least16_t", "__uint16_t", "__u16", "u16", "u_short", "u_int16_t");
        Add(ScalarKind.Int32, 4, "int32_t", "int_least32_t", "__int32_t", "__s32", "s32", "pid_t", "key_t", "__pid_t", "__key_t", "clockid_t", "id_t");
        Add(ScalarKind.UInt32, 4, "uint32_t", "uint_least32_t", "__uint32_t", "__u32", "u32", "uid_t", "gid_t", "mode_t", "__uid_t", "__gid_t",
            "__mode_t", "socklen_t", "u_int", "u_int32_t", "useconds_t");
        Add(ScalarKind.Int64, 8, "int64_t", "int_least64_t", "int_fast16_t", "int_fast32_t", "int_fast64_t", "__int64_t", "__s64", "s64",
            "intptr_t", "intmax_t", "ssize_t", "ptrdiff_t", "off_t", "off64_t", "loff_t", "time_t", "clock_t", "suseconds_t", "blkcnt_t",
            "__off_t", "__off64_t", "__time_t", "__ssize_t", "__syscall_slong_t");
        Add(ScalarKind.UInt64, 8, "uint64_t", "uint_least64_t", "uint_fast16_t", "uint_fast32_t", "uint_fast64_t", "__uint64_t", "__u64", "u64",
            "uintptr_t", "uintmax_t", "size_t", "dev_t", "ino_t", "ino64_t", "__dev_t", "__ino_t", "__ino64_t", "u_long", "u_int64_t",
            "fsblkcnt_t", "fsfilcnt_t", "rlim_t");
        Add(ScalarKind.Bool, 1, "bool");
        return t;
    }

    private CType BasicType(List<Token> words)
    {
        int longs = words.Count(w => w.Text == "long");
        bool signed = words.Any(w => w.Text is "signed" or "__signed__");
        bool unsigned = words.Any(w => w.Text == "unsigned");
        bool shorts = words.Any(w => w.Text == "short");
        string[] bases = words.Select(w => w.Text).Where(w => w is "int" or "char" or "float" or "double" or "_Bool" or "bool" or "void").ToArray();
        Token at = words[0];
        string name = string.Join(' ', words.Select(w => w.Text));
        if ((signed && unsigned) || bases.Length > 1 || longs > 2 || (shorts && longs > 0)
            || words.GroupBy(w => w.Text).Any(g => g.Key != "long" && g.Count() > 1))
        {
            throw Error($"'{name}' is not a C type", at);
        }
        string b = bases.Length == 1 ? bases[0] : "int";
        if ((b is "float" or "_Bool" or "bool" or "void" && words.Count > 1) || (b == "double" && words.Count - (longs == 1 ? 1 : 0) > 1)
            || (b == "char" && (shorts || longs > 0)))
        {
            throw Error($"'{name}' is not a C type", at);
        }
        return b switch
        {
            "char" => CType.ScalarType(name, signed ? ScalarKind.Int8 : unsigned ? ScalarKind.UInt8 : ScalarKind.Char, 1),
            "float" => CType.ScalarType(name, ScalarKind.Single, 4),
            "double" when longs == 1 => CType.ScalarType(name, ScalarKind.Opaque, 16),
            "double" => CType.ScalarType(name, ScalarKind.Double, 8),
            "_Bool" or "bool" => CType.ScalarType(name, ScalarKind.Bool, 1),
            "void" => CType.ScalarType(name, ScalarKind.Opaque, 0, 1),
            _ when shorts => CType.ScalarType(name, unsigned ? ScalarKind.UInt16 : ScalarKind.Int16, 2),
            _ when longs > 0 => CType.ScalarType(name, unsigned ? ScalarKind.UInt64 : ScalarKind.Int64, 8),
            _ => CType.ScalarType(name, unsigned ? ScalarKind.UInt32 : ScalarKind.Int32, 4),
        };
    }

    private sealed class Attributes
    {
        public bool Packed;
        public int? Aligned;
    }

    /// <summary>__attribute__((packed)), ((aligned(N))), ((aligned)), several in one list; others refused (they may change the layout).</summary>
    private Attributes ParseAttributes(Attributes? into = null)
    {
        var attr = into ?? new Attributes();
        while (Peek().Text is "__attribute__" or "__attribute")
        {
            Next();
            Expect("(", "after __attribute__");
            Expect("(", "after __attribute__(");
            while (!Accept(")"))
            {
                Token name = Next();
                string n = name.Text.Trim('_');
                if (n == "packed")
                {
                    attr.Packed = true;
                }
                else if (n == "aligned")
                {
                    int a = 16; // __attribute__((aligned)): the largest alignment of the target (16 on x86_64 and aarch64)
                    if (Accept("("))
                    {
                        a = (int)Math.Min(int.MaxValue, ConstantExpression(name));
                        Expect(")", "after the alignment");
                        CheckAlignment(a, name);
                    }
                    attr.Aligned = Math.Max(attr.Aligned ?? 0, a);
                }
                else if (n is "unused" or "used" or "deprecated" or "may_alias" or "visibility" or "nonstring" or "designated_init")
                {
                    if (Peek().Text == "(")
                    {
                        SkipBalancedAfter(name);
                    }
                }
                else
                {
                    throw Error($"__attribute__(({ErrorHelper.Printable(name.Text)})) is not followed (only packed and aligned change a layout here)", name);
                }
                if (!Accept(","))
                {
                    Expect(")", "after an attribute");
                    break;
                }
            }
            Expect(")", "at the end of __attribute__((...))");
        }
        return attr;
    }

    private int ParseAlignas(Token at)
    {
        Expect("(", $"after {at.Text}");
        int a;
        if (LooksLikeType())
        {
            bool ignored = false;
            Specifiers s = ParseSpecifiers(ref ignored, allowAlignas: false);
            CType t = ParseAbstractDeclarator(s.Type);
            a = t.Alignment;
        }
        else
        {
            a = (int)Math.Min(int.MaxValue, ConstantExpression(at));
            if (a != 0)
            {
                CheckAlignment(a, at);
            }
        }
        Expect(")", $"after {at.Text}(...)");
        return a;
    }

    private static void CheckAlignment(long a, Token at)
    {
        if (a <= 0 || (a & (a - 1)) != 0 || a > (1 << 28))
        {
            throw Error($"alignment {a} is not a power of two", at);
        }
    }

    private bool LooksLikeType()
    {
        Token t = Peek();
        return t.Text is "struct" or "union" or "enum" || s_basicWords.Contains(t.Text) || s_qualifiers.Contains(t.Text)
            || (t.IsIdentifier && !_constants.ContainsKey(t.Text) && TryKnownTypeName(t.Text, out _));
    }

    private CType ParseRecord(bool isUnion, Specifiers spec)
    {
        var attr = ParseAttributes();
        string? tag = null;
        if (Peek().IsIdentifier)
        {
            tag = Next().Text;
        }
        string key = (isUnion ? "union " : "struct ") + tag;
        if (Peek().Text != "{")
        {
            if (tag is null)
            {
                throw Error($"expected '{{' or a name after {(isUnion ? "union" : "struct")}, found {Describe(Peek())}", Peek());
            }
            if (_tags.TryGetValue(key, out CType? known))
            {
                return known;
            }
            // A pointer to an incomplete struct is fine; anything else is caught where its size is needed.
            return CType.ScalarType(key, ScalarKind.Opaque, -1, 1);
        }
        Token open = Next();
        var members = new List<Member>();
        while (!Accept("}"))
        {
            if (AtEnd)
            {
                throw Error($"the {key.Trim()} opened on line {open.Line} is never closed", Peek());
            }
            if (Accept(";"))
            {
                continue;
            }
            bool ignored = false;
            Specifiers ms = ParseSpecifiers(ref ignored, allowAlignas: true);
            if (Peek().Text == ";")
            {
                Token end = Next();
                if (ms.AnonymousRecord)
                {
                    members.Add(new Member(null, ms.Type, ms.Alignas, ms.PackedOnDeclaration, null, end));
                }
                continue; // struct tag { ... }; inside a struct declares the tag only
            }
            do
            {
                Declarator d = ParseDeclarator(ms.Type, member: true);
                int? alignas = ms.Alignas;
                members.Add(new Member(d.Name, d.Type, alignas, d.Packed || ms.PackedOnDeclaration, d.Aligned ?? ms.TypedefAligned, d.NameToken));
            }
            while (Accept(","));
            Expect(";", "at the end of a member");
        }
        ParseAttributes(attr);
        var layout = LayOut(tag is null ? (isUnion ? "union" : "struct") : key, isUnion, members, attr, open);
        var type = CType.RecordType(layout);
        if (tag is not null)
        {
            _tags[key] = type;
            _records.Add((key, null, layout));
        }
        else
        {
            spec.AnonymousRecord = true;
        }
        spec.DefinedRecord = layout;
        return type;
    }

    private readonly record struct Member(string? Name, CType Type, int? Alignas, bool Packed, int? Aligned, Token At);

    private static SharedMemoryLayout LayOut(string name, bool isUnion, List<Member> members, Attributes attr, Token at)
    {
        long offset = 0;
        long size = 0;
        int alignment = 1;
        var fields = new List<SharedMemoryLayoutField>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (Member m in members)
        {
            if (m.Type.Size < 0 || (m.Type.Scalar == ScalarKind.Opaque && m.Type.Size == 0))
            {
                throw Error($"'{m.Type.Name}' has no size here (declared but not defined, or void)", m.At);
            }
            // packed (on the struct or the member) drops the type's own alignment; aligned() and _Alignas raise it.
            int align = attr.Packed || m.Packed ? 1 : m.Type.Alignment;
            if (m.Aligned is int a)
            {
                align = Math.Max(align, a);
            }
            if (m.Alignas is int b)
            {
                if (b != 0 && b < m.Type.Alignment && !(attr.Packed || m.Packed))
                {
                    throw Error($"_Alignas({b}) is less than the alignment {m.Type.Alignment} of '{m.Type.Display}'", m.At);
                }
                align = Math.Max(align, b);
            }
            long start = isUnion ? 0 : AlignUp(offset, align);
            alignment = Math.Max(alignment, align);
            if (m.Name is null)
            {
                foreach (SharedMemoryLayoutField f in m.Type.Record!.Fields)
                {
                    if (!names.Add(f.Name))
                    {
                        throw Error($"the member '{f.Name}' is declared twice in {name}", m.At);
                    }
                    fields.Add(new SharedMemoryLayoutField(f.Name, start + f.Offset, f.CType));
                }
            }
            else
            {
                if (!names.Add(m.Name))
                {
                    throw Error($"the member '{m.Name}' is declared twice in {name}", m.At);
                }
                fields.Add(new SharedMemoryLayoutField(m.Name, start, m.Type));
            }
            long end = checked(start + m.Type.Size);
            size = Math.Max(size, end);
            offset = end;
            if (size > MaxSize)
            {
                throw Error($"{name} would be larger than {MaxSize} bytes", m.At);
            }
        }
        if (attr.Aligned is int structAligned)
        {
            alignment = Math.Max(alignment, structAligned);
        }
        size = AlignUp(size, alignment);
        if (size > MaxSize)
        {
            throw Error($"{name} would be larger than {MaxSize} bytes", at);
        }
        return new SharedMemoryLayout(name, isUnion, size, alignment, fields);
    }

    private static long AlignUp(long value, long alignment) => (value + alignment - 1) / alignment * alignment;

    private CType ParseEnum()
    {
        Attributes attr = ParseAttributes();
        string? tag = Peek().IsIdentifier ? Next().Text : null;
        string key = "enum " + tag;
        if (Peek().Text != "{")
        {
            if (tag is not null && _tags.TryGetValue(key, out CType? known))
            {
                return known;
            }
            throw Error(tag is null ? $"expected '{{' after enum, found {Describe(Peek())}" : $"enum {tag} is used before it is defined", Peek());
        }
        Token open = Next();
        var values = new Dictionary<string, long>(StringComparer.Ordinal);
        long next = 0;
        while (!Accept("}"))
        {
            Token name = Next();
            if (!name.IsIdentifier)
            {
                throw Error($"expected an enumerator name, found {Describe(name)}", name);
            }
            ParseAttributes();
            if (Accept("="))
            {
                next = ConstantExpression(name);
            }
            values[name.Text] = next;
            _constants[name.Text] = next;
            next++;
            if (!Accept(","))
            {
                Expect("}", "at the end of an enum");
                break;
            }
        }
        ParseAttributes(attr);
        long min = values.Count == 0 ? 0 : values.Values.Min();
        long max = values.Count == 0 ? 0 : values.Values.Max();
        // gcc: unsigned int when no value is negative, int otherwise, 64 bits past those; packed: the smallest that holds them.
        (ScalarKind kind, int size) = attr.Packed
            ? min >= 0
                ? max <= byte.MaxValue ? (ScalarKind.UInt8, 1) : max <= ushort.MaxValue ? (ScalarKind.UInt16, 2) : max <= uint.MaxValue ? (ScalarKind.UInt32, 4) : (ScalarKind.UInt64, 8)
                : min >= sbyte.MinValue && max <= sbyte.MaxValue ? (ScalarKind.Int8, 1) : min >= short.MinValue && max <= short.MaxValue ? (ScalarKind.Int16, 2)
                : min >= int.MinValue && max <= int.MaxValue ? (ScalarKind.Int32, 4) : (ScalarKind.Int64, 8)
            : min >= 0
                ? max <= uint.MaxValue ? (ScalarKind.UInt32, 4) : (ScalarKind.UInt64, 8)
                : min >= int.MinValue && max <= int.MaxValue ? (ScalarKind.Int32, 4) : (ScalarKind.Int64, 8);
        var type = CType.EnumType(tag is null ? "enum" : key, kind, size, values);
        if (attr.Aligned is int a)
        {
            type = type.Renamed(type.Name, Math.Max(type.Alignment, a));
        }
        if (tag is not null)
        {
            _tags[key] = type;
        }
        return type;
    }

    private readonly record struct Declarator(string Name, Token NameToken, CType Type, bool Packed, int? Aligned);

    /// <summary>
    /// <c>* const * name [N][M] __attribute__((...))</c>, and a function pointer <c>(*name)(args)</c>; a bit-field
    /// (<c>: N</c>), <c>[]</c> and a size that is not a constant are refused.
    /// </summary>
    private Declarator ParseDeclarator(CType baseType, bool member = false)
    {
        var attr = ParseAttributes();
        int pointers = 0;
        while (Accept("*"))
        {
            pointers++;
            while (s_qualifiers.Contains(Peek().Text))
            {
                Next();
            }
            ParseAttributes(attr);
        }
        Token nameToken;
        bool functionPointer = false;
        if (Peek().Text == "(" && Peek(1).Text == "*")
        {
            Next();
            Next();
            while (s_qualifiers.Contains(Peek().Text))
            {
                Next();
            }
            nameToken = Next();
            var innerDims = ParseDimensions(nameToken);
            if (innerDims.Count > 0)
            {
                throw Error($"'{nameToken.Text}' declares an array of function pointers, which is not followed", nameToken);
            }
            Expect(")", "after a function pointer's name");
            if (Peek().Text != "(")
            {
                throw Error($"'{nameToken.Text}' declares a pointer to an array, which is not followed", nameToken);
            }
            SkipBalancedAfter(nameToken);
            functionPointer = true;
        }
        else
        {
            nameToken = Next();
        }
        if (!nameToken.IsIdentifier || IsKeyword(nameToken.Text))
        {
            throw Error($"expected a name, found {Describe(nameToken)}", nameToken);
        }
        List<long> dims = ParseDimensions(nameToken);
        if (Peek().Text == ":")
        {
            throw Error($"'{nameToken.Text}' is a bit-field, whose bits the compiler places as it likes; use an integer field and shift", nameToken);
        }
        ParseAttributes(attr);
        if (Peek().Text == "=")
        {
            throw Error($"'{nameToken.Text}' has an initializer, which a layout does not take", Peek());
        }
        CType type = baseType;
        if (pointers > 0 || functionPointer)
        {
            string target = functionPointer ? $"{baseType.Display} (*)()" : baseType.Display + " " + new string('*', pointers - 1);
            type = CType.ScalarType((target.TrimEnd() + " *").Replace("  ", " "), ScalarKind.Pointer, 8);
        }
        else if (type.Size < 0 && !member)
        {
            throw Error($"'{type.Name}' is declared but not defined", nameToken);
        }
        if (dims.Count > 0)
        {
            if (type.Size < 0)
            {
                throw Error($"'{type.Name}' is declared but not defined, so an array of it has no size", nameToken);
            }
            if (type.Size % type.Alignment != 0)
            {
                throw Error($"the alignment {type.Alignment} of '{type.Name}' is greater than its size {type.Size}, so it cannot make an array", nameToken);
            }
            type = type.ArrayOf(dims);
            if (type.Size > MaxSize)
            {
                throw Error($"'{nameToken.Text}' would be larger than {MaxSize} bytes", nameToken);
            }
        }
        return new Declarator(nameToken.Text, nameToken, type, attr.Packed, attr.Aligned);
    }

    private CType ParseAbstractDeclarator(CType baseType)
    {
        int pointers = 0;
        while (Accept("*"))
        {
            pointers++;
        }
        CType type = pointers > 0 ? CType.ScalarType(baseType.Display + " *", ScalarKind.Pointer, 8) : baseType;
        List<long> dims = ParseDimensions(Peek());
        return dims.Count > 0 ? type.ArrayOf(dims) : type;
    }

    private List<long> ParseDimensions(Token name)
    {
        var dims = new List<long>();
        while (Peek().Text == "[")
        {
            Token open = Next();
            if (Peek().Text == "]")
            {
                throw Error($"'{name.Text}[]' is a flexible array member, whose length the layout does not know; give its length", open);
            }
            long n = ConstantExpression(name, variableLengthOf: name);
            if (n < 0)
            {
                throw Error($"the array '{name.Text}' has a negative length {n}", name);
            }
            if (n == 0)
            {
                throw Error($"'{name.Text}[0]' is a zero-length (flexible) array, whose length the layout does not know; give its length", name);
            }
            Expect("]", "after an array length");
            dims.Add(n);
        }
        return dims;
    }

    private static bool IsKeyword(string s) => s is "struct" or "union" or "enum" or "typedef" or "const" or "volatile" or "sizeof"
        or "int" or "char" or "long" or "short" or "unsigned" or "signed" or "float" or "double" or "void" or "_Bool";

    private void SkipBalancedAfter(Token at)
    {
        Expect("(", $"after '{at.Text}'");
        int depth = 1;
        while (depth > 0)
        {
            Token t = Next();
            if (t.Text.Length == 0)
            {
                throw Error($"the '(' after '{at.Text}' is never closed", at);
            }
            depth += t.Text == "(" ? 1 : t.Text == ")" ? -1 : 0;
        }
    }

    #endregion

    #region Constant expressions

    private bool TryConstant(out long value)
    {
        try
        {
            value = ConstantExpression(Peek());
            return true;
        }
        catch (SharedMemoryException)
        {
            value = 0;
            return false;
        }
    }

    /// <summary>An integer constant expression: numbers, enumerators, #defines, sizeof, _Alignof, + - * / % &lt;&lt; &gt;&gt; &amp; | ^ ~ and parentheses.</summary>
    private long ConstantExpression(Token context, Token? variableLengthOf = null) => Binary(0, variableLengthOf);

    private static readonly (string Op, int Precedence)[] s_binary =
    {
        ("|", 1), ("^", 2), ("&", 3), ("<<", 4), (">>", 4), ("+", 5), ("-", 5), ("*", 6), ("/", 6), ("%", 6),
    };

    private long Binary(int minPrecedence, Token? vla)
    {
        long left = Unary(vla);
        while (true)
        {
            Token op = Peek();
            int p = Array.FindIndex(s_binary, b => b.Op == op.Text);
            if (p < 0 || s_binary[p].Precedence < minPrecedence)
            {
                return left;
            }
            Next();
            long right = Binary(s_binary[p].Precedence + 1, vla);
            try
            {
                left = op.Text switch
                {
                    "|" => left | right,
                    "^" => left ^ right,
                    "&" => left & right,
                    "<<" => right is < 0 or > 62 ? throw Error($"shift by {right}", op) : checked(left << (int)right),
                    ">>" => right is < 0 or > 63 ? throw Error($"shift by {right}", op) : left >> (int)right,
                    "+" => checked(left + right),
                    "-" => checked(left - right),
                    "*" => checked(left * right),
                    "/" => right == 0 ? throw Error("division by zero", op) : left / right,
                    _ => right == 0 ? throw Error("division by zero", op) : left % right,
                };
            }
            catch (OverflowException)
            {
                throw Error("the constant is too large", op);
            }
        }
    }

    private long Unary(Token? vla)
    {
        Token t = Next();
        switch (t.Text)
        {
            case "-":
                return -Unary(vla);
            case "+":
                return Unary(vla);
            case "~":
                return ~Unary(vla);
            case "(":
                if (LooksLikeType())
                {
                    // A cast: (size_t)16
                    bool ignored = false;
                    ParseSpecifiers(ref ignored, allowAlignas: false);
                    ParseAbstractDeclarator(CType.ScalarType("int", ScalarKind.Int32, 4));
                    Expect(")", "after a cast");
                    return Unary(vla);
                }
                long v = Binary(0, vla);
                Expect(")", "in a constant expression");
                return v;
            case "sizeof" or "_Alignof" or "alignof" or "__alignof__":
            {
                bool paren = Accept("(");
                if (!paren || !LooksLikeType())
                {
                    throw Error($"{t.Text} takes a type here, in parentheses", t);
                }
                bool ignored = false;
                Specifiers s = ParseSpecifiers(ref ignored, allowAlignas: false);
                CType type = ParseAbstractDeclarator(s.Type);
                Expect(")", $"after {t.Text}(type");
                if (type.Size < 0)
                {
                    throw Error($"'{type.Name}' is declared but not defined", t);
                }
                return t.Text == "sizeof" ? type.Size : type.Alignment;
            }
        }
        if (t.IsNumber)
        {
            return Number(t);
        }
        if (t.IsIdentifier && _constants.TryGetValue(t.Text, out long c))
        {
            return c;
        }
        if (t.IsIdentifier && vla is Token name)
        {
            throw Error($"the length of '{name.Text}' is '{t.Text}', which is not a constant: a variable-length array has no fixed layout", t);
        }
        throw Error(t.IsIdentifier ? $"'{t.Text}' is not a known constant" : $"expected a number, found {Describe(t)}", t);
    }

    private static long Number(Token t)
    {
        string s = t.Text.TrimEnd('u', 'U', 'l', 'L');
        try
        {
            ulong v;
            if (s.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
            {
                v = ulong.Parse(s[2..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
            }
            else if (s.StartsWith("0b", StringComparison.OrdinalIgnoreCase))
            {
                v = Convert.ToUInt64(s[2..], 2);
            }
            else if (s.Length > 1 && s[0] == '0')
            {
                v = Convert.ToUInt64(s[1..], 8);
            }
            else
            {
                v = ulong.Parse(s, NumberStyles.None, CultureInfo.InvariantCulture);
            }
            return checked((long)v);
        }
        catch (Exception e) when (e is FormatException or OverflowException or ArgumentException)
        {
            throw Error($"'{t.Text}' is not an integer constant", t);
        }
    }

    #endregion
}
