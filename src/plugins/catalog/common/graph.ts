/** The answer of `GET /api/catalog/graph`, shared by the server and the graph tab. */

export interface GraphNode {
  ref: string;
  kind: string;
  namespace: string;
  name: string;
  title?: string;
  type?: string;
  lifecycle?: string;
  depth: number;
  missing?: true;
  /** With a roll-up: how many entities of the traversed graph this node stands for. */
  count?: number;
}

/** One relation pair, named by its forward relation (`ownedBy`, `dependsOn`, …). */
export interface GraphEdge {
  source: string;
  type: string;
  target: string;
}

export interface GraphResponse {
  root: string;
  nodes: GraphNode[];
  edges: GraphEdge[];
  truncated: boolean;
  limit: number;
}
