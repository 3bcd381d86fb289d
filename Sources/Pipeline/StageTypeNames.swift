/// The stage types a pipeline file may name (`type:`), for tools that list or describe them.
public var pipelineStageTypeNames: [String] { StageType.all.map(\.name) }
