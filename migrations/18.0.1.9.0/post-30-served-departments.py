"""Department served (18.0.1.9.0): the visits planned before it existed
get the department of their served person as it is now, as planning
would have given it: the department of the served contact's employee
(``hr.employee.work_contact_id``) in the visit's company, the first such
employee when there are several, archived employees left out. Visits
without a served person, or whose person is no employee there, keep none."""


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        """
        UPDATE visit_record AS rec
           SET served_department_id = emp.department_id
          FROM (
                SELECT DISTINCT ON (work_contact_id, company_id)
                       work_contact_id, company_id, department_id
                  FROM hr_employee
                 WHERE active AND work_contact_id IS NOT NULL
                 ORDER BY work_contact_id, company_id, id
               ) AS emp
         WHERE emp.work_contact_id = rec.served_by_id
           AND emp.company_id = rec.company_id
           AND emp.department_id IS NOT NULL
           AND rec.served_department_id IS NULL
        """
    )
