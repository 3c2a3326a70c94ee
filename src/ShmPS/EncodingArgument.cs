using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Text;

namespace ShmPS;

/// <summary>Lets -Encoding take the names PowerShell's own cmdlets use (utf8, ascii, unicode…), a code page or an Encoding.</summary>
public sealed class EncodingTransformationAttribute : ArgumentTransformationAttribute
{
    internal static readonly Dictionary<string, Encoding> Names = new(StringComparer.OrdinalIgnoreCase)
    {
        ["ascii"] = Encoding.ASCII,
        ["bigendianunicode"] = Encoding.BigEndianUnicode,
        ["latin1"] = Encoding.Latin1,
        ["unicode"] = Encoding.Unicode,
        ["utf32"] = Encoding.UTF32,
        ["utf8"] = Encoding.UTF8,
        ["utf8NoBOM"] = Encoding.UTF8,
    };

    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        object value = inputData is PSObject pso ? pso.BaseObject : inputData;
        try
        {
            return value switch
            {
                Encoding e => e,
                string s when Names.TryGetValue(s, out Encoding? e) => e,
                string s when int.TryParse(s, out int codePage) => Encoding.GetEncoding(codePage),
                string s => Encoding.GetEncoding(s),
                int codePage => Encoding.GetEncoding(codePage),
                _ => throw new ArgumentTransformationMetadataException($"Cannot convert '{value}' to an encoding."),
            };
        }
        catch (ArgumentException e)
        {
            throw new ArgumentTransformationMetadataException(
                $"'{value}' is not an encoding. Use one of {string.Join(", ", Names.Keys)}, a code page number or an encoding name.", e);
        }
    }
}

/// <summary>Completes -Encoding with the names EncodingTransformationAttribute knows.</summary>
public sealed class EncodingCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters) =>
        EncodingTransformationAttribute.Names.Keys
            .Where(n => n.StartsWith(wordToComplete, StringComparison.OrdinalIgnoreCase))
            .Select(n => new CompletionResult(n));
}
