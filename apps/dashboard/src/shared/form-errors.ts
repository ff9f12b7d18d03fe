import { useCallback } from 'react';
import type { FormInstance } from 'antd';
import { problemOf } from './errors';
import { useProblemText } from './problem-text';

/**
 * A mutation's refusal on its form: the server names the field it refuses (`extensions.field`) and why
 * (`extensions.reason`, in the catalogue as reason.<REASON>), so the message goes under that field; a refusal of
 * no field of the form is answered as text for the form's alert.
 */
export function useServerErrors(): (form: FormInstance, error: unknown) => string | null {
  const problemText = useProblemText();
  return useCallback(
    (form: FormInstance, error: unknown) => {
      const problem = problemOf(error);
      const text = problemText(problem);
      const field = problem.field?.replace(/^input\./, '');
      if (field && Object.prototype.hasOwnProperty.call(form.getFieldsValue(true), field)) {
        form.setFields([{ name: field, errors: [text] }]);
        return null;
      }
      return text;
    },
    [problemText],
  );
}
