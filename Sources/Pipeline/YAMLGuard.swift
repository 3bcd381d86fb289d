// libyaml's event API, from the copy Yams builds (its CYaml target), for one pass before Yams
// composes the document.
import CYaml
import Foundation
import WordPipeSupport

/// A check of a pipeline file's YAML events before Yams composes it into nodes.
///
/// Composing checks every mapping for duplicated keys by hashing the keys whole. A key that is a
/// list, a mapping, or an alias (`*name`) of one is hashed with everything it holds, aliases
/// expanded: an alias bomb as a key (`? *a9` where each `&aN` lists `*aN-1` nine times) would
/// take hours. Pipeline files only have string keys, so such a key is refused here, in one
/// linear pass over the events, at its `line:column`. Bombs in values are bounded later, when
/// `with` is converted (`PipelineFile.plain`).
enum YAMLGuard {
    /// Throws at the first mapping key that is not a scalar (nor an alias of a scalar). A file
    /// libyaml cannot parse passes, so that Yams reports the syntax error with its own message.
    static func checkKeys(_ text: String, path: String) throws {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { return }
        defer { yaml_parser_delete(&parser) }
        let bytes = Array(text.utf8)
        try bytes.withUnsafeBufferPointer { buffer in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            // Anchors that name scalars (an alias of one is a fine key).
            var scalarAnchors = Set<String>()
            // The open collections: whether each is a mapping, and how many nodes it holds so
            // far (in a mapping, an even count means the next node is a key).
            var open: [(mapping: Bool, nodes: Int)] = []
            var event = yaml_event_t()
            while yaml_parser_parse(&parser, &event) == 1 {
                defer { yaml_event_delete(&event) }
                let type = event.type
                if type == YAML_STREAM_END_EVENT { return }
                let startsNode = type == YAML_SCALAR_EVENT || type == YAML_ALIAS_EVENT
                    || type == YAML_SEQUENCE_START_EVENT || type == YAML_MAPPING_START_EVENT
                if startsNode, let parent = open.last {
                    if parent.mapping && parent.nodes % 2 == 0 {
                        let scalarAlias = type == YAML_ALIAS_EVENT && scalarAnchors.contains(string(event.data.alias.anchor) ?? "")
                        if type != YAML_SCALAR_EVENT && !scalarAlias {
                            let mark = event.start_mark
                            throw PipelineError(SourceLocation(path: path, line: Int(mark.line) + 1, column: Int(mark.column) + 1),
                                                "a mapping key must be a plain string, not a list, a mapping or an alias (*name) of one")
                        }
                    }
                    open[open.count - 1].nodes += 1
                }
                if type == YAML_SCALAR_EVENT, let anchor = string(event.data.scalar.anchor) {
                    scalarAnchors.insert(anchor)
                } else if type == YAML_SEQUENCE_START_EVENT {
                    if let anchor = string(event.data.sequence_start.anchor) { scalarAnchors.remove(anchor) }
                    open.append((false, 0))
                } else if type == YAML_MAPPING_START_EVENT {
                    if let anchor = string(event.data.mapping_start.anchor) { scalarAnchors.remove(anchor) }
                    open.append((true, 0))
                } else if type == YAML_SEQUENCE_END_EVENT || type == YAML_MAPPING_END_EVENT {
                    _ = open.popLast()
                }
            }
        }
    }

    private static func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        pointer.map { String(cString: $0) }
    }
}
