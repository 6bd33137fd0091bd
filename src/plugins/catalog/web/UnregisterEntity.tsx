import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useNavigate } from 'react-router-dom';
import type { Entity } from '../../../model/entity.ts';
import { explainError } from '../../../web/plugin-api.ts';
import { unregisterEntity } from './api.ts';

/**
 * "Unregister entity", confirmed in place. A refusal says which permission was missing and
 * which rule decided, so the reader knows whom to ask rather than just that it failed.
 */
export function UnregisterEntity({ entity }: { entity: Entity }) {
  const navigate = useNavigate();
  const client = useQueryClient();
  const [confirming, setConfirming] = useState(false);
  const uid = entity.metadata.uid;
  const remove = useMutation({
    mutationFn: () => unregisterEntity(uid!),
    onSuccess: async () => {
      await client.invalidateQueries();
      navigate('/catalog');
    },
  });
  if (!uid) return null;
  return (
    <div className="entity-actions">
      {confirming ? (
        <>
          <span>
            Remove {entity.metadata.name} from the catalog? Its location may add it again when it is
            next read.
          </span>
          <button
            type="button"
            className="danger"
            disabled={remove.isPending}
            onClick={() => remove.mutate()}
          >
            Unregister
          </button>
          <button
            type="button"
            onClick={() => {
              setConfirming(false);
              remove.reset();
            }}
          >
            Cancel
          </button>
        </>
      ) : (
        <button type="button" onClick={() => setConfirming(true)}>
          Unregister entity
        </button>
      )}
      {remove.isError && (
        <p className="state state-error" role="alert" data-testid="unregister-error">
          {explainError(remove.error)}
        </p>
      )}
    </div>
  );
}
